using System.Net;
using System.Net.Sockets;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Tcp;

/// <summary>
/// <c>tcp://host:port</c>: framed messages over TCP, through Pipelines.Sockets.Unofficial. <c>tcp://:port</c> listens
/// on every interface (IPv4 and IPv6); port 0 picks a free port. Nagle's algorithm is off unless
/// <see cref="TransportOptions.NoDelay"/> is false.
/// </summary>
public sealed class TcpTransport : ITransport
{
    /// <inheritdoc />
    public string Scheme => "tcp";

    /// <inheritdoc />
    public async ValueTask<IConnection> DialAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var (host, port) = TcpEndpoint.Split(address.Address, address.Original);
        if (port == 0)
        {
            throw new ArgumentException($"Cannot dial port 0 ('{address.Original}').", nameof(address));
        }

        var socket = await ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
        return Wrap(socket, Scheme, options);
    }

    /// <summary>Connects a configured TCP socket to the first address of <paramref name="host"/> that answers.</summary>
    internal static async Task<System.Net.Sockets.Socket> ConnectAsync(string host, int port, TransportOptions options, CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var ip in await TcpEndpoint.ResolveAsync(host, listening: false, cancellationToken).ConfigureAwait(false))
        {
            var socket = new System.Net.Sockets.Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                Configure(socket, options);
                await socket.ConnectAsync(new IPEndPoint(ip, port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <inheritdoc />
    public async ValueTask<IListener> ListenAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var (host, port) = TcpEndpoint.Split(address.Address, address.Original);
        var ip = (await TcpEndpoint.ResolveAsync(host, listening: true, cancellationToken).ConfigureAwait(false))[0];
        var socket = Bind(new IPEndPoint(ip, port));
        return new SocketListener(socket, TcpEndpoint.Format(Scheme, socket.LocalEndPoint), accepted =>
        {
            Configure(accepted, options);
            return Wrap(accepted, Scheme, options);
        });
    }

    /// <summary>Binds and starts listening on a TCP socket.</summary>
    internal static System.Net.Sockets.Socket Bind(IPEndPoint endPoint)
    {
        var socket = new System.Net.Sockets.Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            socket.Listen(512);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A connected, configured TCP socket as a connection.</summary>
    internal static SocketPipeConnection Wrap(System.Net.Sockets.Socket socket, string scheme, TransportOptions options) =>
        new(socket, TcpEndpoint.Format(scheme, socket.LocalEndPoint), TcpEndpoint.Format(scheme, socket.RemoteEndPoint), options);

    internal static void Configure(System.Net.Sockets.Socket socket, TransportOptions options)
    {
        socket.NoDelay = options.NoDelay;
        if (options.KeepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        }

        if (options.SendBufferSize > 0)
        {
            socket.SendBufferSize = options.SendBufferSize;
        }

        if (options.ReceiveBufferSize > 0)
        {
            socket.ReceiveBufferSize = options.ReceiveBufferSize;
        }
    }
}
