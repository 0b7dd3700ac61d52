using System.Net.Sockets;
using MultiSocket.Transport;

namespace MultiSocket.Transports;

/// <summary>A bound stream socket (tcp or unix domain) that hands out accepted sockets as connections.</summary>
internal sealed class SocketListener : IListener
{
    private readonly System.Net.Sockets.Socket _socket;
    private readonly Func<System.Net.Sockets.Socket, IConnection> _wrap;
    private readonly Action? _onClosed;
    private int _disposed;

    /// <param name="socket">The bound, listening socket; the listener owns it.</param>
    /// <param name="boundAddress">The address actually bound.</param>
    /// <param name="wrap">Configures an accepted socket and makes it a connection.</param>
    /// <param name="onClosed">Runs once after the socket is closed (for example to remove a unix socket file).</param>
    public SocketListener(System.Net.Sockets.Socket socket, string boundAddress, Func<System.Net.Sockets.Socket, IConnection> wrap, Action? onClosed = null)
    {
        _socket = socket;
        _wrap = wrap;
        _onClosed = onClosed;
        BoundAddress = boundAddress;
    }

    public string BoundAddress { get; }

    public async ValueTask<IConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        System.Net.Sockets.Socket accepted;
        try
        {
            accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
        {
            throw new ObjectDisposedException(nameof(SocketListener), "The listener was closed.");
        }

        try
        {
            return _wrap(accepted);
        }
        catch
        {
            accepted.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            _onClosed?.Invoke();
        }

        return default;
    }
}
