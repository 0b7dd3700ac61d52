namespace MultiSocket;

public sealed partial class Socket
{
    /// <summary>
    /// Waits for the next message from any pipe. The caller owns the message and must dispose it. Any number of
    /// tasks may receive at once; each message goes to exactly one of them.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also when it is disposed while waiting).</exception>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoReceive"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (_disposed)
        {
            // What had arrived before disposal can still be taken.
            return Receiver.TryReceive(out var left) ? new ValueTask<Message>(left!) : Throw.Disposed<ValueTask<Message>>(this);
        }

        return Receiver.ReceiveAsync(cancellationToken);
    }

    /// <summary>Takes a message that has already arrived, without waiting.</summary>
    /// <returns>False when none is waiting.</returns>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoReceive"/>.</exception>
    public bool TryReceive([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Message? message) => Receiver.TryReceive(out message);

    /// <summary>
    /// The messages of every pipe as one stream: <c>await foreach (var msg in sock.ReceiveAllAsync(ct))</c>. Several
    /// consumers may enumerate at once; each message goes to exactly one. The caller owns (and disposes) each message.
    /// The enumeration ends when the socket is disposed, after yielding what had already arrived.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoReceive"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (thrown by the enumerator).</exception>
    public IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken = default) =>
        Receiver.ReceiveAllAsync(cancellationToken);
}
