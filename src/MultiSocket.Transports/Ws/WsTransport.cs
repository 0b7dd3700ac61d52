using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.ExceptionServices;
using MultiSocket.Transport;
using MultiSocket.Transports.Tcp;

namespace MultiSocket.Transports.Ws;

/// <summary>
/// <c>ws://host:port/path</c>: MultiSocket frames over websocket, one binary websocket message per frame, under the
/// subprotocol <c>multisocket.binary</c> (the client offers <c>multisocket.binary, multisocket.text</c> and the
/// server selects <c>multisocket.binary</c>, as the Go library). The framing is the framework's
/// <see cref="WebSocket"/>. Several sockets may listen on different paths of one port; a request for another path
/// gets 404, and a plain (non-websocket) HTTP request gets 400 or 426, never a hang.
/// </summary>
public sealed class WsTransport : ITransport
{
    /// <inheritdoc />
    public string Scheme => "ws";

    /// <inheritdoc />
    public async ValueTask<IConnection> DialAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var (host, port, path) = Split(address);
        if (port == 0)
        {
            throw new ArgumentException($"Cannot dial port 0 ('{address.Original}').", nameof(address));
        }

        string? local = null;
        string? remote = null;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = await TcpTransport.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, options, token).ConfigureAwait(false);
                local = TcpEndpoint.Format("ws", socket.LocalEndPoint) + path;
                remote = TcpEndpoint.Format("ws", socket.RemoteEndPoint) + path;
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var invoker = new HttpMessageInvoker(handler);
        var client = new ClientWebSocket();
        try
        {
            client.Options.AddSubProtocol(WsConnection.BinaryProtocol);
            client.Options.AddSubProtocol(WsConnection.TextProtocol);
            var uri = new UriBuilder("ws", host.Contains(':') ? $"[{host}]" : host, port, path).Uri;
            await client.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
            if (client.SubProtocol is not (null or WsConnection.BinaryProtocol))
            {
                throw new WebSocketException(
                    WebSocketError.UnsupportedProtocol,
                    $"The server at {address} selected subprotocol '{client.SubProtocol}'; MultiSocket needs '{WsConnection.BinaryProtocol}'.");
            }

            return new WsConnection(client, local ?? $"ws://?{path}", remote ?? address.ToString(), options, invoker);
        }
        catch (WebSocketException ex) when (SocketErrorOf(ex) is { } socketError)
        {
            // Connecting failed below HTTP (refused, unreachable): report it as every transport does.
            client.Dispose();
            invoker.Dispose();
            ExceptionDispatchInfo.Throw(socketError);
            throw;
        }
        catch
        {
            client.Dispose();
            invoker.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IListener> ListenAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var (host, port, path) = Split(address);
        var ip = (await TcpEndpoint.ResolveAsync(host, listening: true, cancellationToken).ConfigureAwait(false))[0];
        return WsPortListener.Register(new IPEndPoint(ip, port), path, options);
    }

    private static SocketException? SocketErrorOf(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException socketError)
            {
                return socketError;
            }
        }

        return null;
    }

    /// <summary>Splits <c>host:port/path</c>; the path defaults to <c>/</c>.</summary>
    private static (string Host, int Port, string Path) Split(TransportAddress address)
    {
        string text = address.Address;
        int slash = text.IndexOf('/');
        string hostAndPort = slash < 0 ? text : text[..slash];
        string path = slash < 0 ? "/" : text[slash..];
        var (host, port) = TcpEndpoint.Split(hostAndPort, address.Original);
        return (host, port, path);
    }
}
