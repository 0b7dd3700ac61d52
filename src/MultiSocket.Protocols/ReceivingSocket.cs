using System.Diagnostics.CodeAnalysis;

namespace MultiSocket.Protocols;

/// <summary>
/// Base of the patterns whose receive side is the plain merged stream of every peer's messages
/// (<see cref="PullSocket"/>, <see cref="PairSocket"/>, <see cref="BusSocket"/>).
/// </summary>
public abstract class ReceivingSocket : ProtocolSocket
{
    private protected ReceivingSocket(SocketOptions options)
        : base(options)
    {
    }

    /// <summary>Waits for the next message from any peer. The caller owns (and disposes) it.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Socket.ReceiveAsync(cancellationToken);
    }

    /// <summary>Takes a message that has already arrived, without waiting. The caller owns (and disposes) it.</summary>
    /// <returns>False when none is waiting.</returns>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool TryReceive([NotNullWhen(true)] out Message? message)
    {
        ThrowIfDisposed();
        return Socket.TryReceive(out message);
    }

    /// <summary>The messages as a stream; ends when the socket is disposed. The caller disposes each message.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Socket.ReceiveAllAsync(cancellationToken);
    }
}
