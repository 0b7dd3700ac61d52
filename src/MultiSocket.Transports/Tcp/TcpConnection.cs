using System.IO.Pipelines;
using MultiSocket.Transport;
using Pipelines.Sockets.Unofficial;

namespace MultiSocket.Transports.Tcp;

/// <summary>A connected stream socket as a duplex pipe (Pipelines.Sockets.Unofficial's <see cref="SocketConnection"/>).</summary>
internal sealed class TcpConnection : IStreamConnection
{
    private static readonly PipeOptions SendOptions = new(
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false);

    private static readonly PipeOptions ReceiveOptions = new(
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false);

    private readonly SocketConnection _connection;

    public TcpConnection(System.Net.Sockets.Socket socket, string scheme)
    {
        LocalAddress = TcpEndpoint.Format(scheme, socket.LocalEndPoint);
        RemoteAddress = TcpEndpoint.Format(scheme, socket.RemoteEndPoint);
        _connection = SocketConnection.Create(socket, SendOptions, ReceiveOptions, SocketConnectionOptions.None, RemoteAddress);
    }

    public IDuplexPipe Transport => _connection;

    public string LocalAddress { get; }

    public string RemoteAddress { get; }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return default;
    }
}
