using System.Threading.Channels;
using MultiSocket.Internal;
using MultiSocket.Transport;

namespace MultiSocket;

/// <summary>
/// One peer connection of a socket. Over a byte stream: a send queue drained by a write loop, and a read loop that
/// feeds the socket's receiver. In process: sends go through a <see cref="MessageLink"/> straight into the peer's
/// receive queue, and the peer's sends arrive the same way. Either side ending closes the pipe; nothing else owns the
/// connection.
/// </summary>
internal sealed partial class Pipe
{
    private readonly Socket _socket;
    private readonly IConnection _connection;
    private readonly IOutbox _outbox;
    private readonly SendQueue? _queue;
    private readonly MessageLink? _input;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly uint _maxContentLength;
    private readonly int _readBufferSize;
    private readonly bool _raw;
    private readonly Lock _logGate = new();
    private volatile bool _sentEverything;

    public Pipe(Socket socket, uint id, IConnection connection, bool isDialed, EndpointSettings settings)
    {
        _socket = socket;
        _connection = connection;
        Id = id;
        IsDialed = isDialed;
        _maxContentLength = settings.MaxReceiveContentLength;
        _readBufferSize = settings.Transport.ReadBufferSize;
        _raw = settings.Raw;
        if (connection is IMessageConnection messages)
        {
            if (_raw)
            {
                throw new ArgumentException("Raw pipes need a byte-stream transport (tcp, ipc, ws); in-process connections carry whole messages.", nameof(settings));
            }

            // In-process: sends go straight to the peer's pipe (its socket's receive queue); nothing is encoded.
            _outbox = messages.Output;
            _input = messages.Input;
        }
        else if (connection is IStreamConnection)
        {
            _outbox = _queue = new SendQueue(socket.Options.SendQueueSize);
            if (socket.PublishLog is { } log && socket.LogReadByAllPipes)
            {
                AttachLog(log);
            }
        }
        else
        {
            throw new ArgumentException(
                $"A connection must implement {nameof(IStreamConnection)} or {nameof(IMessageConnection)}; got {connection.GetType()}.",
                nameof(connection));
        }
    }

    /// <summary>The pipe's id on its socket.</summary>
    public uint Id { get; }

    /// <summary>True when the pipe copies the socket's best-effort sends to all from its publish log.</summary>
    public bool ReadsLog => LogReader is not null;

    /// <summary>This pipe's reader of the socket's publish log, if it has one.</summary>
    public PublishLog.Reader? LogReader => _queue?.LogReader;

    /// <summary>
    /// Makes a framed byte-stream pipe copy the socket's best-effort sends to all from <paramref name="log"/> (from its
    /// present end); other pipes keep taking them through their queue. Called under the socket's gate.
    /// </summary>
    public void AttachLog(PublishLog log) => TryAttachLog(log, _socket.Statistics.OnDropped);

    /// <summary>
    /// Makes a framed byte-stream pipe copy what is appended to <paramref name="log"/> from now on, after the frames it
    /// has queued until now, until it closes; <paramref name="onDropped"/> counts the frames it loses by falling a
    /// whole log behind. False for a pipe that cannot (in-process, raw) or that reads a log already (a pipe reads one).
    /// A pipe closing meanwhile takes nothing from the log.
    /// </summary>
    public bool TryAttachLog(PublishLog log, Action<long> onDropped)
    {
        if (_queue is null || _raw)
        {
            return false;
        }

        lock (_logGate)
        {
            if (_queue.LogReader is not null)
            {
                return false;
            }

            var reader = log.AddReader(_queue, onDropped);
            _queue.LogReader = reader;
            if (_queue.IsCompleted)
            {
                // Closing already: nothing logged from now on is this pipe's.
                log.RemoveReader(reader);
            }

            return true;
        }
    }

    /// <summary>True when this pipe copies what is appended to <paramref name="log"/>.</summary>
    public bool Reads(PublishLog log) => _queue?.LogReader?.Log == log;

    /// <summary>True for a raw (unframed) pipe.</summary>
    public bool IsRaw => _raw;

    /// <summary>True when the socket dialed this connection.</summary>
    public bool IsDialed { get; }

    public string LocalAddress => _connection.LocalAddress;

    public string RemoteAddress => _connection.RemoteAddress;

    /// <summary>Completes when the pipe has closed and left its socket.</summary>
    public Task Completion => _closed.Task;

    /// <summary>True when an in-process peer hands its messages straight to this pipe (for tests).</summary>
    internal bool ReceivesDirectly => _input?.IsDirect == true;

    /// <summary>
    /// Queues a message if there is room; false when the queue is full or the pipe is closing. An in-process pipe has
    /// no queue of its own: the message goes straight into the peer socket's receive queue.
    /// </summary>
    /// <remarks>On failure the caller still owns the message, unchanged.</remarks>
    public bool TryEnqueue(Message message)
    {
        bool marked = false;
        return TryEnqueue(message, ref marked);
    }

    /// <summary>
    /// <see cref="TryEnqueue(Message)"/> for one of several pipes a message is queued to: the first pipe that reads the
    /// publish log marks the message and sets <paramref name="marked"/>, and the pipes after it keep that mark.
    /// </summary>
    /// <remarks>
    /// A message shared by several pipes has one <see cref="Message.LogMark"/>. Marked again for a later pipe, it moved
    /// under a pipe that had it queued already: a sender that queued more behind it and logged frames meanwhile saw those
    /// frames overtake the queued message there. The first mark is never late for the pipes after it: what is logged
    /// between it and their enqueue comes from other senders.
    /// </remarks>
    public bool TryEnqueue(Message message, ref bool marked)
    {
        MarkLog(message, ref marked);
        return _outbox.TryWrite(message);
    }

    /// <summary>
    /// Hands a run of new messages to an in-process peer as one batch (<see cref="Socket.SendBatchAsync"/>); how many
    /// went, <see cref="RunQueueFull"/> when the peer's receive queue is full, 0 when none could go as a run (or the
    /// pipe is not in-process).
    /// </summary>
    public int TrySendRun(IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl) =>
        _outbox is MessageLink link ? link.TryWriteRun(contents, index, ttl) : 0;

    /// <summary>Queues a message, waiting for room.</summary>
    /// <exception cref="ChannelClosedException">The pipe closed first (the message is still the caller's).</exception>
    public ValueTask EnqueueAsync(Message message, CancellationToken cancellationToken)
    {
        bool marked = false;
        return EnqueueAsync(message, ref marked, cancellationToken);
    }

    /// <summary><see cref="EnqueueAsync(Message, CancellationToken)"/> for one of several pipes (see <see cref="TryEnqueue(Message, ref bool)"/>).</summary>
    /// <exception cref="ChannelClosedException">The pipe closed first (the message is still the caller's).</exception>
    public ValueTask EnqueueAsync(Message message, ref bool marked, CancellationToken cancellationToken)
    {
        MarkLog(message, ref marked);
        return _outbox.WriteAsync(message, cancellationToken);
    }

    // A message queued to a pipe that reads the publish log goes out after the frames logged before it. One queued to a
    // byte-stream pipe that does not gets no mark, so that it goes out before whatever the pipe copies if it starts
    // reading the log meanwhile (a pooled message may still carry another socket's mark). In-process pipes never read one.
    private void MarkLog(Message message, ref bool marked)
    {
        if (marked || _queue is not { } queue)
        {
            return;
        }

        if (queue.LogReader is { } reader)
        {
            message.LogMark = reader.Log.Mark();
            marked = true;
        }
        else
        {
            message.LogMark = default;
        }
    }

    public void Start() => _ = RunAsync();

    /// <summary>Stops taking messages; the write loop writes what is queued, then the pipe closes.</summary>
    public void CompleteSending()
    {
        lock (_logGate)
        {
            if (LogReader is { } reader)
            {
                // The write loop ends once it has copied what was logged until now.
                reader.Log.RemoveReader(reader);
            }

            _outbox.CompleteWriting();
        }
    }

    /// <summary>Closes now, dropping what is queued.</summary>
    public void Abort()
    {
        CompleteSending();
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync()
    {
        var token = _abort.Token;
        Task read;
        Task write;
        if (_connection is IStreamConnection stream)
        {
            read = _raw ? ReadRawAsync(stream.Transport.Input, token) : ReadFramesAsync(stream.Transport.Input, token);
            write = WriteFramesAsync(stream.Transport.Output, token);
        }
        else
        {
            read = ReadLinkAsync(_input!, token);
            write = Task.CompletedTask;
        }

        // An in-process pipe has no write loop: its read loop alone decides when it ends.
        var first = _queue is null ? await Task.WhenAny(read).ConfigureAwait(false) : await Task.WhenAny(read, write).ConfigureAwait(false);
        if (first == write && _sentEverything)
        {
            // Graceful close: everything queued went out followed by end of stream. Closing the connection now could
            // discard bytes still in the transport's buffers, so wait for the peer to close its side (it does so on
            // end of stream), for at most the socket's linger.
            first = await Task.WhenAny(read, Task.Delay(_socket.Options.Linger)).ConfigureAwait(false);
        }

        Exception? error = ErrorOf(first);
        Abort();
        try
        {
            await Task.WhenAll(read, write).ConfigureAwait(false);
        }
        catch
        {
            // The loops' own errors: the first one to end gave the reason.
        }

        error ??= ErrorOf(read) ?? ErrorOf(write);
        try
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        catch
        {
            // The connection is gone either way.
        }

        if (_queue is not null)
        {
            while (_queue.TryRead(out var left))
            {
                left.Dispose();
            }
        }

        _abort.Dispose();
        _socket.OnPipeClosed(this, error);
        _closed.TrySetResult();
    }

    private static Exception? ErrorOf(Task task) =>
        task.IsFaulted && task.Exception!.InnerException is { } ex && ex is not OperationCanceledException ? ex : null;
}
