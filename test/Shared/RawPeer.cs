using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace MultiSocket.Testing;

/// <summary>
/// A peer that is not MultiSocket: a plain TCP or unix socket, or a bare websocket, for feeding hand-made bytes to a
/// listening socket and reading exactly what comes back.
/// </summary>
public sealed class RawPeer : IAsyncDisposable
{
    private readonly System.Net.Sockets.Socket? _socket;
    private readonly ClientWebSocket? _websocket;
    private readonly MemoryStream _pending = new();

    private RawPeer(System.Net.Sockets.Socket? socket, ClientWebSocket? websocket)
    {
        _socket = socket;
        _websocket = websocket;
    }

    /// <summary>The websocket subprotocol the server selected (websocket peers only).</summary>
    public string? SubProtocol => _websocket?.SubProtocol;

    /// <summary>Connects to a MultiSocket listener's bound address (tcp, ipc or ws).</summary>
    public static async Task<RawPeer> ConnectAsync(string boundAddress)
    {
        var uri = new Uri(boundAddress.Replace("ipc://", "file://", StringComparison.Ordinal));
        switch (uri.Scheme)
        {
            case "tcp":
                var tcp = new System.Net.Sockets.Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await tcp.ConnectAsync(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port, Wait.Token());
                return new RawPeer(tcp, null);
            case "file":
                var unix = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(boundAddress["ipc://".Length..]), Wait.Token());
                return new RawPeer(unix, null);
            case "ws":
                var ws = new ClientWebSocket();
                ws.Options.AddSubProtocol("multisocket.binary");
                await ws.ConnectAsync(uri, Wait.Token());
                return new RawPeer(null, ws);
            default:
                throw new ArgumentException($"No raw peer for {boundAddress}", nameof(boundAddress));
        }
    }

    /// <summary>Sends bytes as they are (over websocket: as one binary message).</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        if (_websocket is not null)
        {
            await _websocket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, Wait.Token());
        }
        else
        {
            await _socket!.SendAsync(bytes, SocketFlags.None, Wait.Token());
        }
    }

    /// <summary>Stops sending: end of stream for the listener (websocket: a closing handshake).</summary>
    public async Task ShutdownSendAsync()
    {
        if (_websocket is not null)
        {
            await _websocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Wait.Token());
        }
        else
        {
            _socket!.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (websocket: of message payloads), failing on timeout.</summary>
    public async Task<byte[]> ReceiveAsync(int count)
    {
        var token = Wait.Token();
        var chunk = new byte[64 * 1024];
        while (_pending.Length < count)
        {
            int read = await ReadSomeAsync(chunk, token);
            if (read == 0)
            {
                Assert.Fail($"Connection ended after {_pending.Length} of {count} expected bytes.");
            }

            _pending.Write(chunk, 0, read);
        }

        var all = _pending.ToArray();
        _pending.SetLength(0);
        _pending.Write(all, count, all.Length - count);
        return all[..count];
    }

    /// <summary>Reads until the other side closes; returns everything read meanwhile.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        var token = Wait.Token();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await ReadSomeAsync(chunk, token)) > 0)
        {
            _pending.Write(chunk, 0, read);
        }

        var all = _pending.ToArray();
        _pending.SetLength(0);
        return all;
    }

    private async Task<int> ReadSomeAsync(byte[] chunk, CancellationToken token)
    {
        if (_websocket is null)
        {
            try
            {
                return await _socket!.ReceiveAsync(chunk, SocketFlags.None, token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                return 0;
            }
        }

        try
        {
            var result = await _websocket.ReceiveAsync(chunk.AsMemory(), token);
            return result.MessageType == WebSocketMessageType.Close ? 0 : result.Count;
        }
        catch (WebSocketException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        if (_websocket is not null)
        {
            _websocket.Abort();
            _websocket.Dispose();
        }

        await _pending.DisposeAsync();
    }
}
