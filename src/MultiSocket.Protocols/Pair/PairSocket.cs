namespace MultiSocket.Protocols;

/// <summary>
/// One-to-one messaging: a pair socket has at most one peer at a time (<see cref="SocketOptions.PipeLimit"/> 1). While
/// it has one, its listeners refuse further connections and its dialers wait; once the peer goes, the next one is
/// accepted.
/// </summary>
public sealed class PairSocket : ReceivingSocket
{
    /// <summary>Creates a pair socket (the options' <see cref="SocketOptions.PipeLimit"/> is forced to 1).</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public PairSocket(SocketOptions? options = null)
        : base(Configure(options))
    {
    }

    /// <summary>True while a peer is connected.</summary>
    public bool IsConnected => Socket.PipeCount > 0;

    /// <summary>Sends <paramref name="content"/> to the peer; waits while there is none or its queue is full.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Socket.SendAsync(content, cancellationToken);
    }

    private static SocketOptions Configure(SocketOptions? options)
    {
        options = RequireDuplex(options, "A pair socket both sends and receives");

        return options with { PipeLimit = 1 };
    }
}
