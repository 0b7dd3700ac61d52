using System.Net;
using System.Net.Sockets;
using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Transports.Tests;

public class RawPipeTests
{
    public static readonly string[] RawTransports = ["tcp", "ipc", "ws"];

    [TestCaseSource(nameof(RawTransports))]
    public async Task PlainClientTalksToARawListener(string transport)
    {
        await using var server = new Socket();
        var listener = await server.ListenAsync(TestAddress.For(transport) + "?Raw=true");
        Assert.That(listener.IsRaw);

        await using var client = await RawPeer.ConnectAsync(listener.BoundAddress);
        using (var opened = await server.ReceiveAsync(Wait.Token()))
        {
            Assert.That(opened.Flags, Is.EqualTo(MessageFlags.Raw | MessageFlags.Control));
            Assert.That(opened.Length, Is.Zero);
            Assert.That(opened.IsEndOfStream, Is.False);
            Assert.That(opened.Source.Count, Is.EqualTo(1));
        }

        await client.SendAsync("ping\n"u8.ToArray());
        var text = new StringBuilder();
        MessagePath from = default;
        while (text.Length < 5)
        {
            using var chunk = await server.ReceiveAsync(Wait.Token());
            Assert.That(chunk.Flags, Is.EqualTo(MessageFlags.Raw));
            from = chunk.Source;
            text.Append(chunk.ContentAsString());
        }

        Assert.That(text.ToString(), Is.EqualTo("ping\n"));
        await server.SendToAsync(from, "pong\n"u8.ToArray());
        Assert.That(Encoding.ASCII.GetString(await client.ReceiveAsync(5)), Is.EqualTo("pong\n"), "only the content, no frame header");

        await client.ShutdownSendAsync();
        using var end = await server.ReceiveAsync(Wait.Token());
        Assert.That(end.IsEndOfStream, Is.True);
        Assert.That(end.Source, Is.EqualTo(from));
    }

    [Test]
    public async Task AnEmptyReplyClosesTheRawConnectionAfterWhatWasQueuedBeforeIt()
    {
        await using var server = new Socket();
        var listener = await server.ListenAsync("tcp://127.0.0.1:0?Raw=true");
        await using var client = await RawPeer.ConnectAsync(listener.BoundAddress);
        using var opened = await server.ReceiveAsync(Wait.Token());

        await server.SendToAsync(opened.Source, "HTTP/1.0 200 OK\r\n\r\nbye"u8.ToArray());
        await server.SendToAsync(opened.Source, ReadOnlyMemory<byte>.Empty);
        var all = await client.ReadToEndAsync();
        Assert.That(Encoding.ASCII.GetString(all), Is.EqualTo("HTTP/1.0 200 OK\r\n\r\nbye"));
        await Wait.UntilAsync(() => server.PipeCount == 0, "the raw pipe to close");
    }

    [Test]
    public async Task ReadBufferBoundsTheChunkSizeOfRawMessages()
    {
        await using var server = new Socket();
        var listener = await server.ListenAsync("tcp://127.0.0.1:0?Raw=true&ReadBuffer=16");
        await using var client = await RawPeer.ConnectAsync(listener.BoundAddress);
        (await server.ReceiveAsync(Wait.Token())).Dispose();
        var payload = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        await client.SendAsync(payload);
        var received = new List<byte>();
        while (received.Count < payload.Length)
        {
            using var chunk = await server.ReceiveAsync(Wait.Token());
            Assert.That(chunk.Length, Is.InRange(1, 16));
            received.AddRange(chunk.Content.ToArray());
        }

        Assert.That(received, Is.EqualTo(payload));
    }

    [Test]
    public async Task ARawDialerTalksToAPlainServer()
    {
        using var plain = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        plain.Start();
        var port = ((IPEndPoint)plain.LocalEndpoint).Port;
        await using var socket = new Socket();
        var dialer = await socket.DialAsync($"tcp://127.0.0.1:{port}?Raw=true&Reconnect=false");
        Assert.That(dialer.IsRaw);
        using var accepted = await plain.AcceptTcpClientAsync(Wait.Token());
        using var opened = await socket.ReceiveAsync(Wait.Token());
        Assert.That(opened.Flags, Is.EqualTo(MessageFlags.Raw | MessageFlags.Control));

        await socket.SendAsync("hello plain"u8.ToArray());
        var buffer = new byte[11];
        await accepted.GetStream().ReadExactlyAsync(buffer, Wait.Token());
        Assert.That(Encoding.ASCII.GetString(buffer), Is.EqualTo("hello plain"));
    }

    /// <summary>
    /// A raw ⇄ framed proxy: plain TCP clients reach a framed MultiSocket service through a switch between a raw
    /// listener and a framed dialer; replies route back by source path to the right plain client.
    /// </summary>
    [Test]
    public async Task RawToFramedProxyThroughASwitch()
    {
        await using var service = new Socket();
        var serviceListener = await service.ListenAsync(TestAddress.For("tcp"));
        var serving = Task.Run(async () =>
        {
            await foreach (var message in service.ReceiveAllAsync())
            {
                using (message)
                {
                    if (message.Length > 0)
                    {
                        await service.SendToAsync(message.Source, Encoding.ASCII.GetBytes(message.ContentAsString().ToUpperInvariant()));
                    }
                }
            }
        });

        await using var front = new Socket();
        await using var back = new Socket();
        var frontListener = await front.ListenAsync("tcp://127.0.0.1:0?Raw=true");
        await back.DialAsync(serviceListener.BoundAddress);
        await using var proxy = new Switch(front, back);

        await using var alice = await RawPeer.ConnectAsync(frontListener.BoundAddress);
        await using var bob = await RawPeer.ConnectAsync(frontListener.BoundAddress);
        await alice.SendAsync("alice"u8.ToArray());
        await bob.SendAsync("bob"u8.ToArray());
        Assert.That(Encoding.ASCII.GetString(await alice.ReceiveAsync(5)), Is.EqualTo("ALICE"));
        Assert.That(Encoding.ASCII.GetString(await bob.ReceiveAsync(3)), Is.EqualTo("BOB"));

        await service.DisposeAsync();
        await serving;
    }

    [Test]
    public async Task InprocPassesTheMessageObjectWithoutEncoding()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync("inproc");
        await using var client = new Socket();
        await client.DialAsync(address);
        var sent = Message.Create("same object");
        await client.SendMessageAsync(sent);
        using var received = await server.ReceiveAsync(Wait.Token());
        Assert.That(received, Is.SameAs(sent));
        Assert.That(received.Source.Count, Is.EqualTo(1), "the receiving pipe was still recorded");
    }

    [Test]
    public async Task InprocQueuesHoldSendQueueSizeMessages()
    {
        await using var server = new Socket(new SocketOptions { ReceiveQueueSize = 1 });
        var address = await server.ListenOnAsync("inproc");
        await using var client = new Socket(new SocketOptions { SendQueueSize = 3, BestEffort = true });
        await client.DialAsync(address);
        for (int i = 0; i < 20; i++)
        {
            await client.SendAsync("x");
        }

        // At most 3 queued + 1 in the receive queue + 1 held by the read loop: the rest were dropped.
        Assert.That(client.Statistics.Dropped, Is.InRange(15, 17));
    }
}
