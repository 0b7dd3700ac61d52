using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiSocket.Internal;
using MultiSocket.Transport;

namespace MultiSocket;

/// <summary>
/// A message socket: dials and listens on any number of addresses over any mix of transports, and turns every peer
/// connection into a pipe. Sending and receiving are independent: sends are queued per pipe and written by each
/// pipe's write loop; every pipe's read loop feeds one receive queue.
/// </summary>
/// <remarks>
/// All members are safe to call from any thread or task at once. Dispose with <see cref="DisposeAsync"/>, which
/// stops dialing and listening, lets queued sends drain for up to <see cref="SocketOptions.Linger"/>, closes every
/// pipe and ends all receives.
/// </remarks>
public sealed partial class Socket : IAsyncDisposable
{
    private readonly ConcurrentDictionary<uint, Pipe> _pipeById = new();
    private readonly object _gate = new();
    private readonly List<Dialer> _dialers = [];
    private readonly List<Listener> _listeners = [];
    private readonly CancellationTokenSource _closing = new();
    private readonly Sender _toOne;
    private readonly ToOneSender? _batchSender;
    private readonly Sender _toAll;
    private readonly Sender _toDestination;

    // Senders waiting for room in any pipe, also woken when a pipe joins or the socket closes (under _gate).
    private readonly Queue<WaiterEntry> _pipeWaiters = new();
    private volatile Pipe[] _pipes = [];
    private volatile PublishLog? _publishLog;
    private TaskCompletionSource _pipeAdded = NewSignal();
    private TaskCompletionSource _pipeRemoved = NewSignal();
    private uint _lastPipeId;
    private volatile bool _disposed;
    private Task? _disposal;

    /// <summary>Creates a socket with default options.</summary>
    public Socket()
        : this(SocketOptions.Default)
    {
    }

    /// <summary>Creates a socket.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public Socket(SocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Logger = options.Logger ?? NullLogger.Instance;
        Receiver = options.NoReceive ? NoneReceiver.Instance : new AllReceiver(options.ReceiveQueueSize, this);
        if (options.NoSend)
        {
            _toOne = _toAll = _toDestination = new NoneSender(this);
        }
        else
        {
            _toOne = _batchSender = new ToOneSender(this);
            _toAll = new ToAllSender(this);
            _toDestination = new ToDestinationSender(this);
        }
    }

    /// <summary>
    /// A best-effort socket's log of the frames it sends to all, which its framed byte-stream pipes copy from; null until
    /// the first such send (<see cref="GetPublishLog"/>).
    /// </summary>
    internal PublishLog? PublishLog => _publishLog;

    // False once a protocol adopted the log (UsePublishLog): it then decides which pipes read it.
    private volatile bool _logReadByAllPipes = true;

    /// <summary>True while every framed byte-stream pipe made from now on reads <see cref="PublishLog"/>.</summary>
    internal bool LogReadByAllPipes => _logReadByAllPipes;

    /// <summary>
    /// Makes <paramref name="log"/> this socket's publish log, read by the pipes its owner attaches (not by every pipe):
    /// a pipe reads one log, and a message queued to several pipes carries one <see cref="Message.LogMark"/>, so a
    /// socket has one log. Its best-effort sends to all then go through this log too. Call before the socket connects.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket has a publish log already.</exception>
    internal void UsePublishLog(PublishLog log)
    {
        lock (_gate)
        {
            if (_publishLog is not null)
            {
                throw new InvalidOperationException("The socket has a publish log already.");
            }

            _logReadByAllPipes = false;
            _publishLog = log;
        }
    }

    /// <summary>The publish log, made at the first call and given to every pipe then and later.</summary>
    internal PublishLog GetPublishLog()
    {
        if (_publishLog is { } log)
        {
            return log;
        }

        lock (_gate)
        {
            if (_publishLog is null)
            {
                log = new PublishLog(Options.SendQueueSize);
                foreach (var pipe in _pipes)
                {
                    pipe.AttachLog(log);
                }

                // Published after the pipes have their readers: a sender that sees the log sees which pipes read it.
                _publishLog = log;
            }

            return _publishLog;
        }
    }

    /// <summary>Raised when a pipe (a peer connection) joins the socket.</summary>
    /// <remarks>
    /// Raised on the task that made the connection, before the pipe starts reading (so always before its
    /// <see cref="PipeRemoved"/>); keep handlers short and do not wait in them for messages. Exceptions are logged and ignored.
    /// </remarks>
    public event EventHandler<PipeEventArgs>? PipeAdded;

    /// <summary>Raised when a pipe leaves the socket, with the reason in <see cref="PipeEventArgs.Error"/>.</summary>
    /// <remarks>
    /// Raised on the pipe's own task once the pipe has left <see cref="PipeCount"/>; keep handlers short. Exceptions are
    /// logged and ignored. Events of different pipes are not ordered: the slot a closed pipe freed may be taken, and the
    /// new pipe's <see cref="PipeAdded"/> raised, before this is (count pipes with <see cref="PipeCount"/>, not events).
    /// </remarks>
    public event EventHandler<PipeEventArgs>? PipeRemoved;

    /// <summary>The options the socket was created with.</summary>
    public SocketOptions Options { get; }

    /// <summary>Counters: drops, unroutable messages, pipes added and removed.</summary>
    public SocketStatistics Statistics { get; } = new();

    /// <summary>Number of pipes connected now.</summary>
    public int PipeCount => _pipes.Length;

    /// <summary>The ids of the pipes connected now.</summary>
    public IReadOnlyList<uint> PipeIds => Array.ConvertAll(_pipes, p => p.Id);

    /// <summary>True once <see cref="DisposeAsync"/> has begun.</summary>
    public bool IsDisposed => _disposed;

    internal ILogger Logger { get; }

    internal Receiver Receiver { get; }

    /// <summary>
    /// Hands every arriving message to <paramref name="take"/> on the delivering thread before the receive queue (see
    /// <see cref="AllReceiver.Intercept"/>); for protocols that route what arrives themselves.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket does not receive.</exception>
    internal void InterceptArrivals(Func<Message, bool> take)
    {
        if (Receiver is not AllReceiver receiver)
        {
            throw new InvalidOperationException("The socket does not receive (NoReceive).");
        }

        receiver.Intercept(take);
    }

    internal Pipe[] PipeList => _pipes;

    internal CancellationToken Closing => _closing.Token;

    internal bool TryGetPipe(uint id, [NotNullWhen(true)] out Pipe? pipe) => _pipeById.TryGetValue(id, out pipe);

    internal void ThrowIfDisposed()
    {
        if (_disposed)
        {
            Throw.Disposed(this);
        }
    }

    /// <summary>Adds a pipe for <paramref name="connection"/>; null when the socket is closed or at its pipe limit.</summary>
    internal Pipe? TryAddPipe(IConnection connection, bool isDialed, EndpointSettings settings)
    {
        Pipe pipe;
        TaskCompletionSource added;
        lock (_gate)
        {
            if (_disposed || (Options.PipeLimit is { } limit && _pipes.Length >= limit))
            {
                return null;
            }

            uint id;
            do
            {
                id = unchecked(++_lastPipeId);
            }
            while (id == 0 || _pipeById.ContainsKey(id));

            pipe = new Pipe(this, id, connection, isDialed, settings);
            _pipeById[id] = pipe;
            _pipes = [.. _pipes, pipe];
            added = _pipeAdded;
            _pipeAdded = NewSignal();
            SetPipeWaitersLocked();
        }

        Statistics.OnPipeAdded();
        Log.PipeAdded(Logger, pipe.Id, pipe.LocalAddress, pipe.RemoteAddress);
        // Raise PipeAdded before the pipe's loops start: a pipe that dies at once (a peer that already left, a bad
        // first frame) would otherwise raise PipeRemoved first.
        Raise(PipeAdded, new PipeEventArgs(pipe.Id, pipe.LocalAddress, pipe.RemoteAddress, isDialed, null));
        pipe.Start();
        added.TrySetResult();
        return pipe;
    }

    internal void OnPipeClosed(Pipe pipe, Exception? error)
    {
        TaskCompletionSource removed;
        lock (_gate)
        {
            _pipeById.TryRemove(pipe.Id, out _);
            _pipes = Array.FindAll(_pipes, p => p != pipe);
            if (pipe.LogReader is { } reader)
            {
                // Under the gate, where pipes are given the log: a pipe closed now is never given it after this.
                reader.Log.RemoveReader(reader);
            }
            removed = _pipeRemoved;
            _pipeRemoved = NewSignal();
        }

        Statistics.OnPipeRemoved();
        switch (error)
        {
            case null:
                Log.PipeRemoved(Logger, pipe.Id, pipe.LocalAddress, pipe.RemoteAddress);
                break;
            case FrameException frame:
                Log.BadFrame(Logger, frame, pipe.Id, pipe.RemoteAddress, frame.Error);
                break;
            default:
                Log.PipeFailed(Logger, error, pipe.Id, pipe.RemoteAddress);
                break;
        }

        Raise(PipeRemoved, new PipeEventArgs(pipe.Id, pipe.LocalAddress, pipe.RemoteAddress, pipe.IsDialed, error));
        removed.TrySetResult();
    }

    internal void OnPipeRefused(IConnection connection)
    {
        Statistics.OnPipeRefused();
        Log.PipeRefused(Logger, connection.RemoteAddress, Options.PipeLimit ?? 0);
    }

    /// <summary>
    /// Sets <paramref name="entry"/> once a pipe joins or the socket closes; at once if the pipe list is no longer
    /// <paramref name="seen"/> (a pipe came or went since the caller looked) or the socket is closing. For a send
    /// waiting for room in any pipe.
    /// </summary>
    internal void AddPipeWaiter(WaiterEntry entry, Pipe[] seen)
    {
        lock (_gate)
        {
            if (_disposed || !ReferenceEquals(_pipes, seen))
            {
                entry.TrySet(true);
                return;
            }

            WaiterEntry.Enqueue(_pipeWaiters, entry);
        }
    }

    // Their continuations run asynchronously (Waiter), so setting them under the lock runs no sender code here.
    private void SetPipeWaitersLocked()
    {
        while (_pipeWaiters.TryDequeue(out var entry))
        {
            entry.TrySet(true);
        }
    }

    /// <summary>Waits until the socket has a pipe (at once if it has one now), or throws once it is disposed.</summary>
    internal Task WaitForPipeAsync(CancellationToken cancellationToken) =>
        WaitUntilAsync(static socket => socket._pipes.Length > 0, static socket => socket._pipeAdded, cancellationToken);

    /// <summary>Waits until the socket is below its pipe limit.</summary>
    internal Task WaitForPipeSlotAsync(CancellationToken cancellationToken) =>
        WaitUntilAsync(
            static socket => socket.Options.PipeLimit is not { } limit || socket._pipes.Length < limit,
            static socket => socket._pipeRemoved,
            cancellationToken);

    /// <summary>
    /// Waits until <paramref name="ready"/> holds, looking again each time <paramref name="signal"/> fires. Both are
    /// read under the lock that pipes join and leave under: looking first and taking the signal after let a pipe that
    /// joined in between go unnoticed (the signal taken was already the next one), and the waiter slept until another
    /// pipe joined.
    /// </summary>
    private async Task WaitUntilAsync(Func<Socket, bool> ready, Func<Socket, TaskCompletionSource> signal, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                ThrowIfDisposed();
                if (ready(this))
                {
                    return;
                }

                wait = signal(this).Task;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            try
            {
                await wait.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Throw.Disposed(this);
            }
        }
    }

    private void Raise(EventHandler<PipeEventArgs>? handler, PipeEventArgs args)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, args);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(Logger, ex);
        }
    }

    /// <summary>
    /// Stops dialing and listening, lets queued sends drain for up to <see cref="SocketOptions.Linger"/>, then closes
    /// every pipe and ends all receives (a pending <see cref="ReceiveAsync"/> throws
    /// <see cref="ObjectDisposedException"/>; <see cref="ReceiveAllAsync"/> yields what was already received, then
    /// ends). Safe to call more than once.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposal is null)
            {
                _disposed = true;
                SetPipeWaitersLocked();
                _disposal = DisposeCoreAsync();
            }
        }

        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync()
    {
        _closing.Cancel();
        Dialer[] dialers;
        Listener[] listeners;
        lock (_gate)
        {
            dialers = [.. _dialers];
            listeners = [.. _listeners];
            _dialers.Clear();
            _listeners.Clear();
        }

        foreach (var listener in listeners)
        {
            await listener.StopAsync().ConfigureAwait(false);
        }

        foreach (var dialer in dialers)
        {
            await dialer.StopAsync(closePipe: false).ConfigureAwait(false);
        }

        var pipes = _pipes;
        foreach (var pipe in pipes)
        {
            pipe.CompleteSending();
        }

        var closed = Task.WhenAll(pipes.Select(p => p.Completion));
        if (await Task.WhenAny(closed, Task.Delay(Options.Linger)).ConfigureAwait(false) != closed)
        {
            foreach (var pipe in pipes)
            {
                pipe.Abort();
            }
        }

        await closed.ConfigureAwait(false);
        Receiver.Complete();
        _pipeAdded.TrySetCanceled();
        _pipeRemoved.TrySetCanceled();
    }

    internal void Forget(Dialer dialer)
    {
        lock (_gate)
        {
            _dialers.Remove(dialer);
        }
    }

    internal void Forget(Listener listener)
    {
        lock (_gate)
        {
            _listeners.Remove(listener);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
