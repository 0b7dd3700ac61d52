using System.Buffers.Binary;
using MultiSocket.Testing;

namespace MultiSocket.Transports.Tests;

/// <summary>Byte-stream transports (tcp, ipc, ws) against peers that are not MultiSocket.</summary>
public class StreamTransportTests
{
    public static readonly string[] StreamTransports = ["tcp", "ipc", "ws"];

    // tcp_send_hi.hex: a client's Send("hi").
    private static readonly byte[] SendHi = Convert.FromHexString("0010000000000002" + "6869");

    [TestCaseSource(nameof(StreamTransports))]
    public async Task NativeFrameFromForeignPeerIsAnsweredWithNativeFrame(string transport)
    {
        await using var server = await EchoServer.StartAsync(TestAddress.For(transport));
        await using var peer = await RawPeer.ConnectAsync(server.Address);
        await peer.SendAsync(SendHi);

        var reply = await peer.ReceiveAsync(8 + 4 + 7);
        Assert.That(Convert.ToHexString(reply[..8]), Is.EqualTo("0210000100000007"), "to-destination, ttl 16, one destination id, 7 bytes");
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(8)), Is.Not.Zero, "destination: the server's pipe id");
        Assert.That(reply[12..], Is.EqualTo("echo:hi"u8.ToArray()));
    }

    [TestCaseSource(nameof(StreamTransports))]
    public async Task OversizedFrameClosesOnlyThatPipeAfterDeliveringWhatCameBefore(string transport)
    {
        await using var server = await EchoServer.StartAsync(TestAddress.For(transport) + "?MaxRecvContentLength=1024");
        await using var good = new Socket();
        await good.DialAsync(server.Address);
        await good.SendAsync("before");
        Assert.That(await good.ReceiveTextAsync(), Is.EqualTo("echo:before"));

        await using var bad = await RawPeer.ConnectAsync(server.Address);
        await bad.SendAsync(SendHi);
        await bad.SendAsync(Convert.FromHexString("00100000" + "00000401"));  // 1025 bytes announced: over the limit
        await bad.ReadToEndAsync();

        await Wait.UntilAsync(() => !server.Removed.IsEmpty, "the bad pipe to be removed");
        Assert.That(server.Removed.Single().Error, Is.TypeOf<FrameException>().With.Property(nameof(FrameException.Error)).EqualTo(FrameError.ContentTooLong));
        await Wait.UntilAsync(() => server.Received.Contains("hi"), "the good frame sent before the bad one to be delivered");
        await good.SendAsync("after");
        Assert.That(await good.ReceiveTextAsync(), Is.EqualTo("echo:after"));
        Assert.That(server.Socket.PipeCount, Is.EqualTo(1));
    }

    [TestCaseSource(nameof(StreamTransports))]
    public async Task StreamEndingMidFrameClosesThatPipeAsTruncated(string transport)
    {
        await using var server = await EchoServer.StartAsync(TestAddress.For(transport));
        await using var good = new Socket();
        await good.DialAsync(server.Address);

        await using var bad = await RawPeer.ConnectAsync(server.Address);
        await bad.SendAsync(SendHi.AsMemory(0, 9));
        await bad.ShutdownSendAsync();

        await Wait.UntilAsync(() => !server.Removed.IsEmpty, "the cut-short pipe to be removed");
        Assert.That(server.Removed.Single().Error, Is.TypeOf<FrameException>().With.Property(nameof(FrameException.Error)).EqualTo(FrameError.Truncated));
        await good.SendAsync("still here");
        Assert.That(await good.ReceiveTextAsync(), Is.EqualTo("echo:still here"));
    }

    [TestCaseSource(nameof(StreamTransports))]
    public async Task InvalidSendTypeClosesThatPipe(string transport)
    {
        await using var server = await EchoServer.StartAsync(TestAddress.For(transport));
        await using var bad = await RawPeer.ConnectAsync(server.Address);
        await bad.SendAsync(Convert.FromHexString("0310000000000000"));
        await bad.ReadToEndAsync();
        await Wait.UntilAsync(() => !server.Removed.IsEmpty, "the pipe to be removed");
        Assert.That(server.Removed.Single().Error, Is.TypeOf<FrameException>().With.Property(nameof(FrameException.Error)).EqualTo(FrameError.InvalidSendType));
    }
}
