using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Protocols.Tests;

[CancelAfter(20_000)]
public class BusTests
{
    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task FourNodeFullMeshDeliversEachMessageExactlyOnceToEveryOtherNode(string transport, CancellationToken ct)
    {
        const int Nodes = 4;
        const int PerNode = 20;
        var nodes = new BusSocket[Nodes];
        try
        {
            var addresses = new string[Nodes];
            for (int i = 0; i < Nodes; i++)
            {
                nodes[i] = new BusSocket();
                addresses[i] = (await nodes[i].ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
                for (int j = 0; j < i; j++)
                {
                    await nodes[i].DialAsync(addresses[j], ct);
                }
            }

            await Wait.UntilAsync(() => nodes.All(n => n.Socket.PipeCount == Nodes - 1), "full mesh");

            // Phase 1: every node sends; every node receives the others' messages.
            var receiving = nodes.Select(n => ReceiveAsync(n, (Nodes - 1) * PerNode, ct)).ToArray();
            for (int i = 0; i < Nodes; i++)
            {
                for (int k = 0; k < PerNode; k++)
                {
                    await nodes[i].SendAsync(Encoding.UTF8.GetBytes($"n{i}-m{k}"), ct);
                }
            }

            var received = await Wait.ForAsync(Task.WhenAll(receiving), "phase 1");
            for (int i = 0; i < Nodes; i++)
            {
                var expected = Enumerable.Range(0, Nodes).Where(j => j != i)
                    .SelectMany(j => Enumerable.Range(0, PerNode).Select(k => $"n{j}-m{k}"));
                Assert.That(received[i], Is.EquivalentTo(expected), $"node {i}");
            }

            // Phase 2: an end marker from each node. A node that forwarded what it received would have done so before
            // sending its marker, so the duplicates would arrive ahead of the markers.
            var markers = nodes.Select(n => ReceiveAsync(n, Nodes - 1, ct)).ToArray();
            for (int i = 0; i < Nodes; i++)
            {
                await nodes[i].SendAsync(Encoding.UTF8.GetBytes($"end{i}"), ct);
            }

            var ends = await Wait.ForAsync(Task.WhenAll(markers), "phase 2");
            for (int i = 0; i < Nodes; i++)
            {
                Assert.That(ends[i], Is.EquivalentTo(Enumerable.Range(0, Nodes).Where(j => j != i).Select(j => $"end{j}")), $"node {i}");
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }
        }
    }

    private static async Task<List<string>> ReceiveAsync(BusSocket node, int count, CancellationToken ct)
    {
        var texts = new List<string>();
        while (texts.Count < count)
        {
            using var message = await node.ReceiveAsync(ct);
            texts.Add(message.ContentAsString());
        }

        return texts;
    }
}
