namespace MultiSocket.Protocols;

/// <summary>
/// Many-to-many messaging: each message sent reaches every directly connected peer once. Received messages are not
/// passed on (as in nng), so in a full mesh every node gets each message exactly once; in other shapes a message
/// reaches direct neighbours only.
/// </summary>
public sealed class BusSocket : ReceivingSocket
{
    /// <summary>Creates a bus socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public BusSocket(SocketOptions? options = null)
        : base(RequireDuplex(options, "A bus socket both sends and receives"))
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
}
