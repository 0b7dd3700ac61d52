using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MultiSocket.Core.Tests.Codec;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

/// <summary>
/// A raw TCP client writes hand-made bad frames to a listening socket: only its pipe closes, with a typed and logged
/// FrameException; a well-behaved client keeps being served, and what the bad client sent before is delivered.
/// </summary>
[CancelAfter(30_000)]
public class SocketBadInputTests
{
    private const uint Limit = 1024;

    private static byte[] Header(byte flags, byte ttl, byte hops, byte distance, uint length)
    {
        var header = new byte[FrameHeader.Size];
        new FrameHeader(flags, ttl, hops, distance, length).WriteTo(header);
        return header;
    }

    public static IEnumerable<TestCaseData> BadFrames()
    {
        yield return new TestCaseData(Header(0, 16, 0, 0, Limit + 1).Concat(new byte[Limit + 1]).ToArray(), FrameError.ContentTooLong, false)
            .SetName("ContentOverTheLimit");
        yield return new TestCaseData(Header(0, 16, 0, 0, uint.MaxValue), FrameError.ContentTooLong, false)
            .SetName("ContentLengthFFFFFFFF");
        yield return new TestCaseData(Header(2, 16, 0, 0, 2).Concat("hi"u8.ToArray()).ToArray(), FrameError.InvalidPath, false)
            .SetName("ToDestinationWithoutDestination");
        yield return new TestCaseData(Header(0, 16, 0, 1, 2).Concat(new byte[] { 0, 0, 0, 1 }).Concat("hi"u8.ToArray()).ToArray(), FrameError.InvalidPath, false)
            .SetName("ToOneWithDestination");
        yield return new TestCaseData(Header(0, 16, 255, 0, 0).Concat(Enumerable.Repeat((byte)1, 255 * 4)).ToArray(), FrameError.InvalidPath, false)
            .SetName("Hops255");
        yield return new TestCaseData(Header(3, 16, 0, 0, 2).Concat("hi"u8.ToArray()).ToArray(), FrameError.InvalidSendType, false)
            .SetName("SendType3");
        yield return new TestCaseData(Header(0, 16, 0, 0, 10).Concat("only5"u8.ToArray()).ToArray(), FrameError.Truncated, true)
            .SetName("StreamEndsInsideContent");
        yield return new TestCaseData(Header(0, 16, 2, 0, 2).Concat(new byte[] { 0, 0, 0, 1 }).ToArray(), FrameError.Truncated, true)
            .SetName("StreamEndsInsidePath");
        yield return new TestCaseData(Header(0, 16, 0, 0, 2)[..5], FrameError.Truncated, true)
            .SetName("StreamEndsInsideHeader");
    }

    [TestCaseSource(nameof(BadFrames))]
    public async Task BadFrameClosesOnlyThatPipe(byte[] badFrame, FrameError error, bool endStream)
    {
        var logger = new CapturingLogger();
        await using var server = new Socket(new SocketOptions { MaxReceiveContentLength = Limit, Logger = logger });
        var events = new PipeEvents(server);
        var address = await server.ListenOnAsync("tcp");
        var fromOthers = new ConcurrentQueue<(uint Pipe, string Text)>();
        _ = server.RunEchoAsync(m => fromOthers.Enqueue((m.PipeId, m.ContentAsString())));

        await using var good = new Socket();
        await good.DialAsync(address);
        await good.SendAsync("ping before");
        Assert.That(await good.ReceiveTextAsync(), Is.EqualTo("echo:ping before"));

        using var bad = await RawTcp.ConnectAsync(address);
        var rawAddress = RawTcp.AddressOf(bad.Client.LocalEndPoint);
        var badPipe = (await events.WaitAddedAsync(e => e.RemoteAddress == rawAddress)).PipeId;

        // A good frame and then the bad one, in one write: the good one must still be delivered.
        using (var before = Message.Create("good before bad"))
        {
            await bad.WriteAsync([.. FrameEncoder.ToArray(before), .. badFrame]);
        }

        if (endStream)
        {
            bad.Client.Shutdown(SocketShutdown.Send);
        }

        var removed = await events.WaitRemovedAsync(badPipe);
        Assert.That(removed.Error, Is.TypeOf<FrameException>());
        Assert.That(((FrameException)removed.Error!).Error, Is.EqualTo(error));
        Assert.That(removed.RemoteAddress, Is.EqualTo(rawAddress));

        var logged = logger.Entries.Where(e => e.Level >= LogLevel.Warning && e.Exception is FrameException).ToList();
        Assert.That(logged, Has.Count.EqualTo(1), "the bad frame is logged once, at Warning or above");
        Assert.That(logged[0].Message, Does.Contain($"Pipe {badPipe}").And.Contain(error.ToString()).And.Contain(rawAddress));
        Assert.That(logged[0].Exception, Is.SameAs(removed.Error));

        Assert.That(await bad.ReadToEndAsync(), Is.Not.Null, "the server closed the bad connection");
        await Wait.UntilAsync(() => fromOthers.Any(m => m.Pipe == badPipe), "the good frame sent before the bad one is delivered");
        Assert.That(fromOthers.Where(m => m.Pipe == badPipe).Select(m => m.Text), Is.EqualTo(new[] { "good before bad" }));

        await good.SendAsync("ping after");
        Assert.That(await good.ReceiveTextAsync(), Is.EqualTo("echo:ping after"));
        Assert.That(server.PipeCount, Is.EqualTo(1));
        Assert.That(server.IsDisposed, Is.False);
    }

    [Test]
    public async Task ManyBadClientsInARowDoNotDisturbTheServer()
    {
        await using var server = new Socket(new SocketOptions { MaxReceiveContentLength = Limit });
        var address = await server.ListenOnAsync("tcp");
        _ = server.RunEchoAsync();
        await using var good = new Socket();
        await good.DialAsync(address);
        for (int i = 0; i < 10; i++)
        {
            using var bad = await RawTcp.ConnectAsync(address);
            await bad.WriteAsync(Header(3, 16, 0, 0, 0));
            await bad.ReadToEndAsync();
            await good.SendAsync($"ping {i}");
            Assert.That(await good.ReceiveTextAsync(), Is.EqualTo($"echo:ping {i}"));
        }

        await Wait.UntilAsync(() => server.Statistics.PipesRemoved == 10, "ten bad pipes removed");
    }

    [Test]
    public async Task BadFrameFromADialedPeerClosesThePipeAndTheDialerReconnects()
    {
        var (listener, address) = RawTcp.Listen();
        try
        {
            var logger = new CapturingLogger();
            await using var client = new Socket(new SocketOptions { Logger = logger, MinReconnectInterval = TimeSpan.FromMilliseconds(10) });
            var events = new PipeEvents(client);
            var dialer = await client.DialAsync(address);
            using var first = await listener.AcceptTcpClientAsync(Wait.Token());
            uint firstPipe = dialer.PipeId;

            using (var hello = Message.Create("hello from the server"))
            {
                await first.WriteAsync([.. FrameEncoder.ToArray(hello), .. Header(2, 16, 0, 0, 0)]);
            }

            Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("hello from the server"));
            var removed = await events.WaitRemovedAsync(firstPipe);
            Assert.That(removed.IsDialed, Is.True);
            Assert.That((removed.Error as FrameException)?.Error, Is.EqualTo(FrameError.InvalidPath));
            Assert.That(logger.Entries, Has.Some.Matches<CapturingLogger.LogEntry>(e => e.Level == LogLevel.Warning && e.Exception is FrameException));

            using var second = await listener.AcceptTcpClientAsync(Wait.Token());
            await Wait.UntilAsync(() => dialer.IsConnected && dialer.PipeId != firstPipe, "the dialer reconnected");
            await client.SendAsync("hi");
            var expected = WireVectors.Load("tcp_send_hi");
            Assert.That(await second.ReadExactlyAsync(expected.Length), Is.EqualTo(expected));
        }
        finally
        {
            listener.Stop();
        }
    }
}
