namespace MultiSocket.Protocols;

/// <summary>
/// The sending side of a pipeline: each message goes to one connected puller, chosen round robin among those with
/// room, so work spreads fairly and a slow puller is passed over. Push sockets do not receive.
/// </summary>
public sealed class PushSocket : ProtocolSocket
{
    /// <summary>Creates a push socket (the options' <see cref="SocketOptions.NoReceive"/> is forced on).</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending.</exception>
    public PushSocket(SocketOptions? options = null)
        : base(Configure(options))
    {
    }

    /// <summary>
    /// Sends <paramref name="content"/> to one puller. Completes once queued; waits while no puller is connected or
    /// every queue is full (with <see cref="SocketOptions.BestEffort"/> it drops instead).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Socket.SendAsync(content, cancellationToken);
    }

    /// <summary>
    /// Sends each of <paramref name="contents"/> as its own message, in order, as <see cref="SendAsync"/> once per
    /// content would; a run of small ones may go to one puller together, and to an in-process puller as one hand-off
    /// (see <see cref="Socket.SendBatchAsync"/>). Completes once the last one is queued.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="contents"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting; the messages before the one that waited were sent.</exception>
    public ValueTask SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> contents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ThrowIfDisposed();
        return Socket.SendBatchAsync(contents, cancellationToken);
    }

    private static SocketOptions Configure(SocketOptions? options)
    {
        options ??= SocketOptions.Default;
        if (options.NoSend)
        {
            throw new ArgumentException("A push socket sends: NoSend must be false.", nameof(options));
        }

        return options with { NoReceive = true };
    }
}
