using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

[CancelAfter(30_000)]
public class SocketEventOrderTests
{
    [Test]
    public async Task PipeAddedIsRaisedBeforePipeRemovedEvenForAPipeThatDiesAtOnce()
    {
        // A client that connects and sends a bad frame at once: its pipe may close while it is still being added.
        await using var server = new Socket();
        var order = new List<(uint Pipe, bool Added)>();
        server.PipeAdded += (_, e) => { lock (order) { order.Add((e.PipeId, true)); } };
        server.PipeRemoved += (_, e) => { lock (order) { order.Add((e.PipeId, false)); } };
        var address = await server.ListenOnAsync("tcp");
        var badFrame = new byte[FrameHeader.Size];
        new FrameHeader(3, 16, 0, 0, 0).WriteTo(badFrame);
        const int rounds = 100;
        for (int i = 0; i < rounds; i++)
        {
            using var bad = await RawTcp.ConnectAsync(address);
            await bad.WriteAsync(badFrame);
            await bad.ReadToEndAsync();
        }

        await Wait.UntilAsync(() => server.Statistics.PipesRemoved == rounds, "every bad pipe removed");
        List<(uint Pipe, bool Added)> seen;
        lock (order)
        {
            seen = [.. order];
        }

        var removedBeforeAdded = seen.Where(e => !e.Added && seen.IndexOf((e.Pipe, true)) is var added && (added < 0 || added > seen.IndexOf(e))).ToList();
        Assert.That(removedBeforeAdded, Is.Empty, "PipeRemoved raised before PipeAdded for these pipes");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task PipeAddedIsRaisedBeforePipeRemovedForAPeerThatLeavesAtOnce(string transport)
    {
        await using var server = new Socket();
        var order = new List<(uint Pipe, bool Added)>();
        server.PipeAdded += (_, e) => { lock (order) { order.Add((e.PipeId, true)); } };
        server.PipeRemoved += (_, e) => { lock (order) { order.Add((e.PipeId, false)); } };
        var address = await server.ListenOnAsync(transport);
        const int rounds = 100;
        for (int i = 0; i < rounds; i++)
        {
            var client = new Socket(new SocketOptions { Reconnect = false });
            await client.DialAsync(address);
            await client.DisposeAsync();
        }

        await Wait.UntilAsync(() => server.Statistics.PipesRemoved == rounds, "every pipe removed");
        List<(uint Pipe, bool Added)> seen;
        lock (order)
        {
            seen = [.. order];
        }

        var removedBeforeAdded = seen.Where(e => !e.Added && seen.IndexOf((e.Pipe, true)) is var added && (added < 0 || added > seen.IndexOf(e))).ToList();
        Assert.That(removedBeforeAdded, Is.Empty, "PipeRemoved raised before PipeAdded for these pipes");
    }
}
