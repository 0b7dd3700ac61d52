namespace MultiSocket.Protocols;

/// <summary>
/// Many-to-many messaging: each message sent reaches every directly connected peer once. Received messages are not
/// passed on (as in nng), so in a full mesh every node gets each message exactly once; in other shapes a message
/// reaches direct neighbours only.
/// </summary>
public sealed class BusSocket : ProtocolSocket
{
    /// <summary>Creates a bus socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public BusSocket(SocketOptions? options = null)
        : base(Configure(options))
    {
    }

    /// <summary>
    /// Sends <paramref name="content"/> to every connected peer (one shared message, no copy per peer). With no peer
    /// connected the message goes nowhere. Waits while a peer's queue is full, unless
    /// <see cref="SocketOptions.BestEffort"/> (then that peer misses it).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Socket.SendAllAsync(content, cancellationToken);
    }

    /// <summary>Waits for the next message from any peer. The caller owns (and disposes) it.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Socket.ReceiveAsync(cancellationToken);
    }

    /// <summary>The messages as a stream; ends when the socket is disposed. The caller disposes each message.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Socket.ReceiveAllAsync(cancellationToken);
    }

    private static SocketOptions Configure(SocketOptions? options)
    {
        options ??= SocketOptions.Default;
        if (options.NoSend || options.NoReceive)
        {
            throw new ArgumentException("A bus socket both sends and receives: NoSend and NoReceive must be false.", nameof(options));
        }

        return options;
    }
}
