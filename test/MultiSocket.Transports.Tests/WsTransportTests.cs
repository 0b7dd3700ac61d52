using System.Net.Sockets;
using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Transports.Tests;

public class WsTransportTests
{
    [Test]
    public async Task ServerSelectsBinarySubprotocolAndSendsOneUnmaskedBinaryMessagePerFrame()
    {
        await using var server = await EchoServer.StartAsync("ws://127.0.0.1:0/ws");
        using var tcp = new TcpClient();
        var uri = new Uri(server.Address);
        await tcp.ConnectAsync(uri.Host, uri.Port, Wait.Token());
        var stream = tcp.GetStream();
        var upgrade = $"GET /ws HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: multisocket.binary, multisocket.text\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(upgrade), Wait.Token());
        string head = await ReadHeadAsync(stream);
        Assert.That(head, Does.StartWith("HTTP/1.1 101"));
        Assert.That(head, Does.Contain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "RFC 6455 sample key");
        Assert.That(head, Does.Contain("Sec-WebSocket-Protocol: multisocket.binary"));

        // tcp_send_hi as one masked client frame (mask 0x00000000 keeps the payload readable).
        var frame = Convert.FromHexString("828A00000000" + "00100000000000026869");
        await stream.WriteAsync(frame, Wait.Token());

        // ws_reply_frame.hex: 82 13 | 02 10 00 01 00000007 | 00000001 | "echo:" + 2 bytes. The vector's last two bytes
        // are 00 01 where wire-format.md says "hi"; our echo answers "echo:hi", so compare all but those two bytes.
        var vector = Convert.FromHexString(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "WireVectors", "ws_reply_frame.hex")).Trim());
        var reply = new byte[vector.Length];
        await stream.ReadExactlyAsync(reply, Wait.Token());
        Assert.That(Convert.ToHexString(reply[..^2]), Is.EqualTo(Convert.ToHexString(vector[..^2])));
        Assert.That(reply[^2..], Is.EqualTo("hi"u8.ToArray()));
    }

    [Test]
    public async Task SeveralSocketsListenOnDifferentPathsOfOnePort()
    {
        await using var first = await EchoServer.StartAsync("ws://127.0.0.1:0/first");
        var port = new Uri(first.Address).Port;
        await using var second = new Socket();
        var listener = await second.ListenAsync($"ws://127.0.0.1:{port}/second");
        Assert.That(listener.BoundAddress, Is.EqualTo($"ws://127.0.0.1:{port}/second"));

        await using var client = new Socket();
        await client.DialAsync(first.Address);
        await client.DialAsync(listener.BoundAddress);
        await Wait.UntilAsync(() => second.PipeCount == 1 && first.Socket.PipeCount == 1, "both paths to accept");

        await client.SendAllAsync("hello"u8.ToArray());
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:hello"));
        Assert.That(await second.ReceiveTextAsync(), Is.EqualTo("hello"));

        var duplicate = new Socket();
        await using (duplicate)
        {
            var ex = Assert.ThrowsAsync<SocketException>(() => duplicate.ListenAsync($"ws://127.0.0.1:{port}/second"));
            Assert.That(ex!.SocketErrorCode, Is.EqualTo(SocketError.AddressAlreadyInUse));
        }
    }

    [TestCase("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400")]
    [TestCase("POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 400")]
    [TestCase("GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 404")]
    [TestCase("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", "HTTP/1.1 426")]
    public async Task NonWebsocketRequestGetsAnHttpErrorAndTheListenerKeepsServing(string request, string expected)
    {
        await using var server = await EchoServer.StartAsync("ws://127.0.0.1:0/ws");
        var uri = new Uri(server.Address);
        using (var http = new TcpClient())
        {
            await http.ConnectAsync(uri.Host, uri.Port, Wait.Token());
            await http.GetStream().WriteAsync(Encoding.ASCII.GetBytes(request), Wait.Token());
            using var reader = new StreamReader(http.GetStream(), Encoding.ASCII);
            var response = await reader.ReadToEndAsync(Wait.Token());
            Assert.That(response, Does.StartWith(expected));
        }

        await using var client = new Socket();
        await client.DialAsync(server.Address);
        await client.SendAsync("ok");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:ok"));
    }

    [Test]
    public async Task PortIsReleasedWhenItsLastPathCloses()
    {
        int port;
        await using (var socket = new Socket())
        {
            var a = await socket.ListenAsync("ws://127.0.0.1:0/a");
            port = new Uri(a.BoundAddress).Port;
            var b = await socket.ListenAsync($"ws://127.0.0.1:{port}/b");
            await a.DisposeAsync();
            await using var client = new Socket();
            await client.DialAsync($"ws://127.0.0.1:{port}/b");
            await b.DisposeAsync();
        }

        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        Assert.DoesNotThrow(probe.Start, "the port is free again");
        probe.Stop();
    }

    [Test]
    public void DialingAPathNobodyServesFails()
    {
        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(async () =>
        {
            await using var server = await EchoServer.StartAsync("ws://127.0.0.1:0/here");
            await using var client = new Socket();
            await client.DialAsync(server.Address.Replace("/here", "/there", StringComparison.Ordinal));
        });
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one, Wait.Token());
            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
