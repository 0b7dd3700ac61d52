using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using MultiSocket.Transport;
using MultiSocket.Transports.Tcp;

namespace MultiSocket.Transports.Ws;

/// <summary>
/// One bound TCP port serving websocket upgrades for any number of paths, each path a <see cref="WsListener"/> of its
/// own. The port is bound when its first path registers and released when its last path closes.
/// </summary>
internal sealed class WsPortListener
{
    private const int MaxRequestHead = 16 * 1024;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly Dictionary<IPEndPoint, WsPortListener> Ports = [];
    private static readonly Lock PortsGate = new();

    private readonly System.Net.Sockets.Socket _socket;
    private readonly Dictionary<string, WsListener> _paths = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    private WsPortListener(System.Net.Sockets.Socket socket)
    {
        _socket = socket;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _ = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Adds a listener for <paramref name="path"/> on <paramref name="endPoint"/>, binding the port if needed.</summary>
    /// <exception cref="SocketException">The path is already served on that port, or the port cannot be bound.</exception>
    public static WsListener Register(IPEndPoint endPoint, string path, TransportOptions options)
    {
        lock (PortsGate)
        {
            if (endPoint.Port == 0 || !Ports.TryGetValue(endPoint, out var port))
            {
                port = new WsPortListener(TcpTransport.Bind(endPoint));
                Ports[port.EndPoint] = port;
            }

            if (port._paths.ContainsKey(path))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse, $"ws://{FormatHost(port.EndPoint)}{path} is already bound.");
            }

            var listener = new WsListener(port, path, options);
            port._paths[path] = listener;
            return listener;
        }
    }

    /// <summary>Removes <paramref name="listener"/>'s path; the last path out closes the port.</summary>
    public void Unregister(WsListener listener)
    {
        lock (PortsGate)
        {
            if (!_paths.TryGetValue(listener.Path, out var registered) || registered != listener)
            {
                return;
            }

            _paths.Remove(listener.Path);
            if (_paths.Count > 0)
            {
                return;
            }

            Ports.Remove(EndPoint);
        }

        _stop.Cancel();
        _socket.Dispose();
    }

    public static string FormatHost(IPEndPoint endPoint) => TcpEndpoint.Format("ws", endPoint)["ws://".Length..];

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            System.Net.Sockets.Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // One failed accept costs that connection only.
                continue;
            }

            _ = HandshakeAsync(accepted);
        }
    }

    /// <summary>Reads the HTTP upgrade request, answers it, and hands the websocket to the path's listener.</summary>
    private async Task HandshakeAsync(System.Net.Sockets.Socket accepted)
    {
        var stream = new NetworkStream(accepted, ownsSocket: true);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(HandshakeTimeout);
            var request = await ReadRequestHeadAsync(stream, timeout.Token).ConfigureAwait(false);
            if (request is null)
            {
                await RespondAsync(stream, 400, "Bad Request", "Malformed HTTP request.", null, timeout.Token).ConfigureAwait(false);
                return;
            }

            WsListener? listener;
            lock (PortsGate)
            {
                _paths.TryGetValue(request.Path, out listener);
            }

            if (!request.IsWebSocketUpgrade(out string? problem))
            {
                await RespondAsync(stream, problem == "version" ? 426 : 400, problem == "version" ? "Upgrade Required" : "Bad Request",
                    "This endpoint speaks MultiSocket over websocket (subprotocol multisocket.binary); send a websocket upgrade.",
                    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n", timeout.Token).ConfigureAwait(false);
                return;
            }

            if (listener is null)
            {
                await RespondAsync(stream, 404, "Not Found", $"No MultiSocket listener at {request.Path}.", null, timeout.Token).ConfigureAwait(false);
                return;
            }

            string? protocol = request.Protocols.Contains(WsConnection.BinaryProtocol) ? WsConnection.BinaryProtocol : null;
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(request.Key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Accept: {accept}\r\n" +
                (protocol is null ? string.Empty : $"Sec-WebSocket-Protocol: {protocol}\r\n") + "\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response), timeout.Token).ConfigureAwait(false);

            TcpTransport.Configure(accepted, listener.Options);
            var websocket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = true,
                SubProtocol = protocol,
                KeepAliveInterval = TimeSpan.Zero,
            });
            var connection = new WsConnection(
                websocket,
                TcpEndpoint.Format("ws", accepted.LocalEndPoint) + request.Path,
                TcpEndpoint.Format("ws", accepted.RemoteEndPoint) + request.Path,
                listener.Options,
                owned: stream);
            if (!listener.Offer(connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // A client that did not finish its handshake in time, or went away: drop it.
        }

        await stream.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task RespondAsync(NetworkStream stream, int status, string reason, string body, string? headers, CancellationToken token)
    {
        var text = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n" +
            $"{headers}Connection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), token).ConfigureAwait(false);
        stream.Socket.Shutdown(SocketShutdown.Send);
        await stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Reads up to the blank line that ends the request head; null when it is not HTTP.</summary>
    private static async Task<RequestHead?> ReadRequestHeadAsync(NetworkStream stream, CancellationToken token)
    {
        var buffer = new byte[MaxRequestHead];
        int length = 0;
        while (true)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), token).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            int searchFrom = Math.Max(0, length - 3);
            length += read;
            int end = buffer.AsSpan(searchFrom, length - searchFrom).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                // A websocket client waits for the 101 before sending frames, so nothing may follow the head.
                end += searchFrom + 4;
                return end == length ? RequestHead.Parse(Encoding.ASCII.GetString(buffer, 0, end)) : null;
            }

            if (length == buffer.Length)
            {
                return null;
            }
        }
    }

    private sealed class RequestHead
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

        public string Method { get; private init; } = "";

        public string Path { get; private init; } = "/";

        public string Key => _headers.GetValueOrDefault("Sec-WebSocket-Key", "");

        public IReadOnlyList<string> Protocols =>
            _headers.GetValueOrDefault("Sec-WebSocket-Protocol", "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        public static RequestHead? Parse(string text)
        {
            var lines = text.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                return null;
            }

            string target = parts[1];
            int query = target.IndexOf('?');
            var head = new RequestHead { Method = parts[0], Path = query < 0 ? target : target[..query] };
            foreach (var line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon > 0)
                {
                    string name = line[..colon].Trim();
                    string value = line[(colon + 1)..].Trim();
                    head._headers[name] = head._headers.TryGetValue(name, out var earlier) ? $"{earlier}, {value}" : value;
                }
            }

            return head;
        }

        /// <summary>True for a valid websocket upgrade; otherwise <paramref name="problem"/> says what is wrong.</summary>
        public bool IsWebSocketUpgrade(out string? problem)
        {
            problem = null;
            if (Method != "GET" ||
                !_headers.GetValueOrDefault("Upgrade", "").Contains("websocket", StringComparison.OrdinalIgnoreCase) ||
                !_headers.GetValueOrDefault("Connection", "").Contains("upgrade", StringComparison.OrdinalIgnoreCase) ||
                Key.Length == 0)
            {
                problem = "upgrade";
                return false;
            }

            if (_headers.GetValueOrDefault("Sec-WebSocket-Version") != "13")
            {
                problem = "version";
                return false;
            }

            return true;
        }
    }
}

/// <summary>One path of a websocket port: the connections upgraded on that path.</summary>
internal sealed class WsListener : IListener
{
    private readonly WsPortListener _port;
    private readonly Channel<WsConnection> _accepted = Channel.CreateBounded<WsConnection>(new BoundedChannelOptions(64)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    public WsListener(WsPortListener port, string path, TransportOptions options)
    {
        _port = port;
        Path = path;
        Options = options;
        BoundAddress = $"ws://{WsPortListener.FormatHost(port.EndPoint)}{path}";
    }

    public string Path { get; }

    public TransportOptions Options { get; }

    public string BoundAddress { get; }

    /// <summary>Queues an upgraded connection for <see cref="AcceptAsync"/>; false when this listener is closed or full.</summary>
    public bool Offer(WsConnection connection) => _accepted.Writer.TryWrite(connection);

    public async ValueTask<IConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(WsListener), "The listener was closed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_accepted.Writer.TryComplete())
        {
            return;
        }

        _port.Unregister(this);
        while (_accepted.Reader.TryRead(out var left))
        {
            await left.DisposeAsync().ConfigureAwait(false);
        }
    }
}
