using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MultiSocket.Protocols;

/// <summary>
/// Serves plain byte-stream peers (telnet, HTTP, any TCP protocol) through raw pipes, one
/// <see cref="StreamConnection"/> per peer: accept connections, read each one's bytes as they arrive, write replies,
/// and see each disconnect. Every address it listens on or dials is made raw (<c>?Raw=true</c> is added).
/// </summary>
/// <remarks>
/// Each connection buffers up to <see cref="SocketOptions.ReceiveQueueSize"/> chunks for its reader; a connection
/// whose reader falls further behind holds up delivery to the others, so read every accepted connection.
/// </remarks>
public sealed class StreamSocket : ProtocolSocket
{
    private readonly ConcurrentDictionary<uint, StreamConnection> _connections = new();
    private readonly Channel<StreamConnection> _accepted = Channel.CreateUnbounded<StreamConnection>(new UnboundedChannelOptions
    {
        SingleWriter = true,
    });

    /// <summary>Creates a stream socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public StreamSocket(SocketOptions? options = null)
        : base(RequireDuplex(options, "A stream socket sends and receives"))
    {
        Socket.PipeRemoved += (_, e) =>
        {
            if (_connections.TryRemove(e.PipeId, out var connection))
            {
                connection.OnClosed(e.Error);
            }
        };
        StartLoop(DemultiplexAsync);
    }

    /// <summary>Listens for plain clients at <paramref name="address"/> (made raw). See <see cref="Socket.ListenAsync"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException">The address has a bad option, or its transport has no raw mode (inproc).</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public new Task<Listener> ListenAsync(string address, CancellationToken cancellationToken = default) =>
        base.ListenAsync(MakeRaw(address), cancellationToken);

    /// <summary>Connects to a plain server at <paramref name="address"/> (made raw). See <see cref="Socket.DialAsync"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException">The address has a bad option, or its transport has no raw mode (inproc).</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public new Task<Dialer> DialAsync(string address, CancellationToken cancellationToken = default) =>
        base.DialAsync(MakeRaw(address), cancellationToken);

    /// <summary>Waits for the next peer to connect.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask<StreamConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(StreamSocket));
        }
    }

    /// <summary>Every connection as it opens; ends when the socket is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<StreamConnection> AcceptAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _accepted.Reader.ReadAllAsync(cancellationToken);
    }

    private protected override void OnDisposed()
    {
        _accepted.Writer.TryComplete();
        foreach (var id in _connections.Keys)
        {
            if (_connections.TryRemove(id, out var connection))
            {
                connection.OnClosed(null);
            }
        }
    }

    /// <summary>Routes each raw message to its connection: open, data, end of stream.</summary>
    private async Task DemultiplexAsync(CancellationToken token)
    {
        await foreach (var message in Socket.ReceiveAllAsync(token).ConfigureAwait(false))
        {
            uint id = message.PipeId;
            if ((message.Flags & MessageFlags.Control) != 0 && message.Length == 0)
            {
                message.Dispose();
                if (Socket.TryGetPipe(id, out var pipe))
                {
                    var connection = new StreamConnection(this, id, pipe.LocalAddress, pipe.RemoteAddress, pipe.IsDialed, Socket.Options.ReceiveQueueSize);
                    _connections[id] = connection;
                    _accepted.Writer.TryWrite(connection);
                }

                continue;
            }

            if (!_connections.TryGetValue(id, out var target))
            {
                message.Dispose();
                continue;
            }

            if (message.IsEndOfStream)
            {
                message.Dispose();
                target.OnEndOfStream();
                continue;
            }

            await target.DeliverAsync(message, token).ConfigureAwait(false);
        }
    }

    internal ValueTask SendAsync(uint id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        Socket.SendToAsync(new MessagePath(id), content, cancellationToken);

    private static string MakeRaw(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int hash = address.IndexOf('#', StringComparison.Ordinal);
        string head = hash < 0 ? address : address[..hash];
        string tail = hash < 0 ? string.Empty : address[hash..];
        return head + (head.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "Raw=true" + tail;
    }
}

/// <summary>
/// One plain peer of a <see cref="StreamSocket"/>: its bytes as they arrive (in chunks, as read), a way to write to it,
/// and its end. Disposing it closes the connection after what was written before.
/// </summary>
public sealed class StreamConnection : IAsyncDisposable
{
    private readonly StreamSocket _owner;
    private readonly Channel<Message> _chunks;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal StreamConnection(StreamSocket owner, uint id, string localAddress, string remoteAddress, bool isDialed, int queueSize)
    {
        _owner = owner;
        Id = id;
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        IsDialed = isDialed;
        _chunks = Channel.CreateBounded<Message>(new BoundedChannelOptions(queueSize)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The pipe id of this connection on its socket.</summary>
    public uint Id { get; }

    /// <summary>This end's address.</summary>
    public string LocalAddress { get; }

    /// <summary>The peer's address.</summary>
    public string RemoteAddress { get; }

    /// <summary>True when the socket dialed this connection.</summary>
    public bool IsDialed { get; }

    /// <summary>Why the connection closed, when it closed on an error (the transport's exception); otherwise null.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Completes when the connection has closed (peer gone, closed here, or the socket disposed).</summary>
    public Task Completion => _closed.Task;

    /// <summary>
    /// The next chunk of bytes from the peer (a raw <see cref="Message"/> the caller disposes), or null once the peer
    /// has ended its stream or the connection closed.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Message?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        while (await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_chunks.Reader.TryRead(out var chunk))
            {
                return chunk;
            }
        }

        return null;
    }

    /// <summary>The peer's bytes, chunk by chunk, until it ends its stream. The caller disposes each message.</summary>
    public async IAsyncEnumerable<Message> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } chunk)
        {
            yield return chunk;
        }
    }

    /// <summary>Writes <paramref name="content"/> to the peer (only these bytes: no framing).</summary>
    /// <exception cref="ArgumentException"><paramref name="content"/> is empty (close with <see cref="CloseAsync"/>).</exception>
    /// <exception cref="InvalidOperationException">The connection has closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for room.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (content.IsEmpty)
        {
            throw new ArgumentException("Nothing to send; to close the connection call CloseAsync.", nameof(content));
        }

        if (_closed.Task.IsCompleted)
        {
            throw new InvalidOperationException($"Connection {Id} to {RemoteAddress} has closed.");
        }

        return _owner.SendAsync(Id, content, cancellationToken);
    }

    /// <summary>Closes the connection once everything sent before has been written. Does nothing when already closed.</summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        if (!_closed.Task.IsCompleted && !_owner.IsDisposed)
        {
            await _owner.SendAsync(Id, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection (see <see cref="CloseAsync"/>).</summary>
    public ValueTask DisposeAsync() => CloseAsync();

    /// <inheritdoc />
    public override string ToString() => $"StreamConnection({Id}, {RemoteAddress})";

    internal ValueTask DeliverAsync(Message chunk, CancellationToken token)
    {
        if (_chunks.Writer.TryWrite(chunk))
        {
            return default;
        }

        return WaitAndDeliverAsync(chunk, token);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitAndDeliverAsync(Message chunk, CancellationToken token)
    {
        try
        {
            await _chunks.Writer.WriteAsync(chunk, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            chunk.Dispose();
            if (ex is OperationCanceledException)
            {
                throw;
            }
        }
    }

    internal void OnEndOfStream() => _chunks.Writer.TryComplete();

    internal void OnClosed(Exception? error)
    {
        Error = error;
        _chunks.Writer.TryComplete();
        _closed.TrySetResult();
    }
}
