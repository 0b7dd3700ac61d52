using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using MultiSocket.Testing;
using MultiSocket.Transport;

namespace MultiSocket.Core.Tests.Transport;

/// <summary>
/// A third-party byte-stream transport whose pipes are System.IO.Pipelines' stream adapters
/// (<see cref="PipeReader.Create(Stream, StreamPipeReaderOptions?)"/>, <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/>),
/// which throw when cancelled after completion: closing must not depend on a transport tolerating that.
/// <see cref="AnAbortWhileTheWriteLoopCompletesItsWriterDoesNotCallIntoTheCompletedWriter"/> holds the write loop
/// inside <c>CompleteAsync</c> to make that race deterministic.
/// </summary>
[CancelAfter(30_000)]
public class StreamPipeTransportTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    static StreamPipeTransportTests() => TransportRegistry.Register(StreamTransport.Instance);

    [Test]
    public async Task MessagesFlowBothWays()
    {
        await using var server = new Socket();
        await using var client = new Socket();
        string address = StreamTransport.NewAddress();
        await server.ListenAsync(address);
        await client.DialAsync(address);

        await client.SendAsync(Encoding.UTF8.GetBytes("ping"));
        using var request = await server.ReceiveAsync().AsTask().WaitAsync(Bound);
        Assert.That(request.ContentAsString(), Is.EqualTo("ping"));

        await server.SendToAsync(request.Source, Encoding.UTF8.GetBytes("pong"));
        using var reply = await client.ReceiveAsync().AsTask().WaitAsync(Bound);
        Assert.That(reply.ContentAsString(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task AGracefulCloseEndsThePipeOnBothSides()
    {
        await using var server = new Socket();
        var client = new Socket();
        string address = StreamTransport.NewAddress();
        await server.ListenAsync(address);
        await client.DialAsync(address);
        var removed = new TaskCompletionSource<PipeEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.PipeRemoved += (_, e) => removed.TrySetResult(e);

        await client.SendAsync(Encoding.UTF8.GetBytes("last"));
        using (var last = await server.ReceiveAsync().AsTask().WaitAsync(Bound))
        {
            Assert.That(last.ContentAsString(), Is.EqualTo("last"));
        }

        // The client's write loop flushes, completes its writer, then waits for the server to close its side; then the
        // pipe aborts, and the server's read loop ends and its pipe aborts. Neither abort may call into a completed
        // stream reader or writer: they throw, which left both pipes open and disposal hanging.
        await client.DisposeAsync().AsTask().WaitAsync(Bound);
        var gone = await removed.Task.WaitAsync(Bound);
        Assert.That(gone.Error, Is.Null);
        Assert.That(server.PipeCount, Is.Zero);
    }

    [Test]
    public async Task DisposingBothEndsWhileMessagesAreInFlightCompletes()
    {
        var server = new Socket();
        var client = new Socket();
        string address = StreamTransport.NewAddress();
        await server.ListenAsync(address);
        await client.DialAsync(address);
        await Wait.UntilAsync(() => server.PipeCount == 1 && client.PipeCount == 1, "both ends connected");

        // More than the server's receive queue holds (nobody receives there), less than the connection buffers.
        var payload = new byte[64];
        for (int i = 0; i < 200; i++)
        {
            await client.SendAsync(payload);
        }

        await Task.WhenAll(client.DisposeAsync().AsTask(), server.DisposeAsync().AsTask()).WaitAsync(Bound);
    }

    [Test]
    public async Task AnAbortWhileTheWriteLoopCompletesItsWriterDoesNotCallIntoTheCompletedWriter()
    {
        GatedWriter? writer = null;
        SignallingReader? reader = null;
        string address = StreamTransport.NewAddress(input => reader = new SignallingReader(input), output => writer = new GatedWriter(output));
        await using var server = new Socket();
        var client = new Socket(new SocketOptions { Linger = TimeSpan.FromMilliseconds(50), Reconnect = false });
        await server.ListenAsync(address);
        await client.DialAsync(address);
        await client.SendAsync(Encoding.UTF8.GetBytes("one"));
        using (var one = await server.ReceiveAsync().AsTask().WaitAsync(Bound))
        {
            Assert.That(one.ContentAsString(), Is.EqualTo("one"));
        }

        // Disposal completes the send queue; the write loop flushes and completes its writer, which holds it there.
        // The linger runs out and the socket aborts the pipe (the read loop's pending read is cancelled) while the
        // writer is completed: calling its CancelPendingFlush then throws, as StreamPipeWriter's does, and that
        // exception failed the disposal.
        var disposing = client.DisposeAsync().AsTask();
        await reader!.ReadCancelled.Task.WaitAsync(Bound);
        writer!.Gate.SetResult();
        await disposing.WaitAsync(Bound);
        Assert.That(writer.CancelledAfterCompletion, Is.False);
    }

    /// <summary>
    /// A best-effort socket makes its publish log at the first send to all and gives it to its pipes then, possibly while a
    /// pipe's write loop is in the middle of a run of queued messages. A message queued after that, behind a frame its
    /// sender logged, must still go out after the frame. The loop read the pipe's log reader once per run, so the rest
    /// of that run took queued messages without looking at their marks. The writer holds the loop inside the run, on
    /// its first message, while the log is made, a frame logged and a message queued.
    /// </summary>
    [Test]
    public async Task AWriteLoopGivenThePublishLogMidRunSendsLaterMessagesAfterTheFramesLoggedBeforeThem()
    {
        await using var subscriber = new Socket(new SocketOptions { NoSend = true });
        await using var publisher = new Socket(new SocketOptions { NoReceive = true, BestEffort = true });
        HoldingWriter? writer = null;
        string address = StreamTransport.NewAddress(output: w => writer = new HoldingWriter(w));
        await subscriber.ListenAsync(address);
        await publisher.DialAsync(address);
        await Wait.UntilAsync(() => publisher.PipeCount == 1 && subscriber.PipeCount == 1, "both ends connected");

        writer!.HoldNext();
        await publisher.SendAsync(Encoding.UTF8.GetBytes("queued first"));
        await writer.Held.Task.WaitAsync(Bound);                            // the loop is encoding "queued first"
        await publisher.SendAllAsync(Encoding.UTF8.GetBytes("logged"));     // makes the log, gives it to the pipe
        Assert.That(publisher.PipeList.Single().ReadsLog, Is.True);
        await publisher.SendAsync(Encoding.UTF8.GetBytes("queued after"));  // marked behind "logged"
        writer.Release();

        var received = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            using var message = await subscriber.ReceiveAsync().AsTask().WaitAsync(Bound);
            received.Add(message.ContentAsString());
        }

        Assert.That(received, Is.EqualTo(new[] { "queued first", "logged", "queued after" }));
    }

    /// <summary>A writer that, once asked, holds the next caller of <see cref="GetSpan"/> until released.</summary>
    private sealed class HoldingWriter(PipeWriter inner) : PipeWriter
    {
        private readonly ManualResetEventSlim _released = new(true);
        private volatile bool _holdNext;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void HoldNext()
        {
            _released.Reset();
            _holdNext = true;
        }

        public void Release() => _released.Set();

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0)
        {
            if (_holdNext)
            {
                _holdNext = false;
                Held.TrySetResult();
                _released.Wait(Bound);
            }

            return inner.GetSpan(sizeHint);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }

    /// <summary>
    /// A writer that refuses <see cref="CancelPendingFlush"/> once completed (as StreamPipeWriter does) and whose
    /// <see cref="CompleteAsync"/> waits for the test.
    /// </summary>
    private sealed class GatedWriter(PipeWriter inner) : PipeWriter
    {
        private volatile bool _completed;

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool CancelledAfterCompletion { get; private set; }

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush()
        {
            if (_completed)
            {
                CancelledAfterCompletion = true;
                throw new ObjectDisposedException(nameof(GatedWriter));
            }

            inner.CancelPendingFlush();
        }

        public override void Complete(Exception? exception = null)
        {
            _completed = true;
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            _completed = true;
            await Gate.Task;
            await inner.CompleteAsync(exception);
        }
    }

    /// <summary>A reader that reports when its pending read is cancelled (the pipe's abort).</summary>
    private sealed class SignallingReader(PipeReader inner) : PipeReader
    {
        public TaskCompletionSource ReadCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead()
        {
            ReadCancelled.TrySetResult();
            inner.CancelPendingRead();
        }

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => inner.ReadAsync(cancellationToken);

        public override bool TryRead(out ReadResult result) => inner.TryRead(out result);
    }

    /// <summary>In-memory connections: two <see cref="System.IO.Pipelines.Pipe"/>s, each end seen through stream pipe adapters.</summary>
    private sealed class StreamTransport : ITransport
    {
        public static readonly StreamTransport Instance = new();

        private static int s_next;
        private readonly ConcurrentDictionary<string, Listener> _listeners = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, (Func<PipeReader, PipeReader> Input, Func<PipeWriter, PipeWriter> Output)> _dialerHooks =
            new(StringComparer.Ordinal);

        public string Scheme => "streampipe-test";

        /// <summary>A fresh address; the hooks, if given, wrap the dialing end's reader and writer.</summary>
        public static string NewAddress(Func<PipeReader, PipeReader>? input = null, Func<PipeWriter, PipeWriter>? output = null)
        {
            string name = Interlocked.Increment(ref s_next).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (input is not null || output is not null)
            {
                Instance._dialerHooks[name] = (input ?? (r => r), output ?? (w => w));
            }

            return $"streampipe-test://{name}";
        }

        public ValueTask<IConnection> DialAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
        {
            if (!_listeners.TryGetValue(address.Address, out var listener))
            {
                throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused);
            }

            var toListener = new System.IO.Pipelines.Pipe();
            var toDialer = new System.IO.Pipelines.Pipe();
            string name = address.ToString();
            listener.Pending.Writer.TryWrite(new Connection(toListener.Reader, toDialer.Writer, name));
            var dialerEnd = new Connection(toDialer.Reader, toListener.Writer, name);
            if (_dialerHooks.TryGetValue(address.Address, out var hooks))
            {
                dialerEnd.Input = hooks.Input(dialerEnd.Input);
                dialerEnd.Output = hooks.Output(dialerEnd.Output);
            }

            return new ValueTask<IConnection>(dialerEnd);
        }

        public ValueTask<IListener> ListenAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
        {
            var listener = new Listener(this, address);
            if (!_listeners.TryAdd(address.Address, listener))
            {
                throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse);
            }

            return new ValueTask<IListener>(listener);
        }

        private sealed class Listener(StreamTransport transport, TransportAddress address) : IListener
        {
            public Channel<Connection> Pending { get; } = Channel.CreateUnbounded<Connection>();

            public string BoundAddress => address.ToString();

            public async ValueTask<IConnection> AcceptAsync(CancellationToken cancellationToken = default)
            {
                try
                {
                    return await Pending.Reader.ReadAsync(cancellationToken);
                }
                catch (ChannelClosedException)
                {
                    throw new ObjectDisposedException(BoundAddress);
                }
            }

            public ValueTask DisposeAsync()
            {
                transport._listeners.TryRemove(address.Address, out _);
                Pending.Writer.TryComplete();
                return default;
            }
        }

        private sealed class Connection : IStreamConnection, IDuplexPipe
        {
            private readonly PipeReader _in;
            private readonly PipeWriter _out;

            public Connection(PipeReader input, PipeWriter output, string name)
            {
                _in = input;
                _out = output;
                Input = PipeReader.Create(input.AsStream());
                Output = PipeWriter.Create(output.AsStream());
                LocalAddress = RemoteAddress = name;
            }

            public IDuplexPipe Transport => this;

            public PipeReader Input { get; set; }

            public PipeWriter Output { get; set; }

            public string LocalAddress { get; }

            public string RemoteAddress { get; }

            public async ValueTask DisposeAsync()
            {
                // Ends both directions, as closing a socket does.
                await _in.CompleteAsync();
                await _out.CompleteAsync();
            }
        }
    }
}
