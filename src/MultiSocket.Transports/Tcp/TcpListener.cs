using System.Net.Sockets;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Tcp;

/// <summary>A bound TCP socket that hands out accepted sockets as connections.</summary>
internal sealed class TcpListener : IListener
{
    private readonly System.Net.Sockets.Socket _socket;
    private readonly TransportOptions _options;
    private readonly string _scheme;

    public TcpListener(System.Net.Sockets.Socket socket, TransportOptions options, string scheme)
    {
        _socket = socket;
        _options = options;
        _scheme = scheme;
        BoundAddress = TcpEndpoint.Format(scheme, socket.LocalEndPoint);
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
            throw new ObjectDisposedException(nameof(TcpListener), "The listener was closed.");
        }

        try
        {
            TcpTransport.Configure(accepted, _options);
            return TcpTransport.Wrap(accepted, _scheme, _options);
        }
        catch
        {
            accepted.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return default;
    }
}
