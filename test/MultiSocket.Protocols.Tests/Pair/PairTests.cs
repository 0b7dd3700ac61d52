using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Protocols.Tests;

[CancelAfter(20_000)]
public class PairTests
{
    private static readonly SocketOptions FastRedial = new()
    {
        MinReconnectInterval = TimeSpan.FromMilliseconds(10),
        MaxReconnectInterval = TimeSpan.FromMilliseconds(100),
    };

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task PairRefusesASecondPeerAndAcceptsItAfterTheFirstLeaves(string transport, CancellationToken ct)
    {
        await using var server = new PairSocket(FastRedial);
        var address = (await server.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        var first = new PairSocket(FastRedial);
        await using var second = new PairSocket(FastRedial);
        try
        {
            await first.DialAsync(address, ct);
            await Wait.UntilAsync(() => server.IsConnected, "first peer accepted");
            await first.SendAsync(Encoding.UTF8.GetBytes("from first"), ct);
            using (var m = await server.ReceiveAsync(ct))
            {
                Assert.That(m.ContentAsString(), Is.EqualTo("from first"));
            }

            await server.SendAsync(Encoding.UTF8.GetBytes("to first"), ct);
            using (var m = await first.ReceiveAsync(ct))
            {
                Assert.That(m.ContentAsString(), Is.EqualTo("to first"));
            }

            // The second peer connects at the transport level but the pair socket refuses it (and keeps refusing).
            await second.DialAsync(address, ct);
            await Wait.UntilAsync(() => server.Socket.Statistics.PipesRefused >= 1, "second peer refused");
            Assert.That(server.Socket.PipeCount, Is.EqualTo(1));
            Assert.That(server.Socket.Statistics.PipesAdded, Is.EqualTo(1));
        }
        finally
        {
            await first.DisposeAsync();
        }

        // Once the first is gone, the second one's redial is accepted.
        await Wait.UntilAsync(() => server.Socket.Statistics.PipesAdded == 2 && server.Socket.PipeCount == 1, "second peer accepted");
        await Wait.UntilAsync(() => second.IsConnected, "second peer connected");
        await second.SendAsync(Encoding.UTF8.GetBytes("from second"), ct);
        using (var m = await server.ReceiveAsync(ct))
        {
            Assert.That(m.ContentAsString(), Is.EqualTo("from second"));
        }
    }

    [Test]
    public async Task APairSocketHasAPipeLimitOfOne()
    {
        await using var pair = new PairSocket(new SocketOptions { PipeLimit = 5 });
        Assert.That(pair.Socket.Options.PipeLimit, Is.EqualTo(1));
    }
}
