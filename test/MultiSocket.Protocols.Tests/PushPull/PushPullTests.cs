using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Protocols.Tests;

[CancelAfter(20_000)]
public class PushPullTests
{
    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task PushSpreadsMessagesFairlyOverThreePullers(string transport, CancellationToken ct)
    {
        const int Total = 3000;

        // Queues deep enough that no puller is ever full: the push then takes pure turns, whatever the scheduling.
        // (Under backpressure a full puller is passed over for one with room: load balancing, as in ZeroMQ.)
        await using var push = new PushSocket(new SocketOptions { SendQueueSize = Total });
        var address = (await push.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        var pullers = new List<PullSocket>();
        var counts = new int[3];
        var seen = new bool[Total];
        var readers = new List<Task>();
        try
        {
            for (int p = 0; p < 3; p++)
            {
                var pull = new PullSocket();
                pullers.Add(pull);
                await pull.DialAsync(address, ct);
                int index = p;
                readers.Add(Task.Run(async () =>
                {
                    await foreach (var message in pull.ReceiveAllAsync(ct))
                    {
                        using (message)
                        {
                            int n = int.Parse(message.ContentAsString());
                            lock (seen)
                            {
                                Assert.That(seen[n], Is.False, $"message {n} delivered twice");
                                seen[n] = true;
                            }

                            Interlocked.Increment(ref counts[index]);
                        }
                    }
                }, ct));
            }

            await Wait.UntilAsync(() => push.Socket.PipeCount == 3, "three pullers connected");
            for (int i = 0; i < Total; i++)
            {
                await push.SendAsync(Encoding.UTF8.GetBytes(i.ToString()), ct);
            }

            await Wait.UntilAsync(() => counts.Sum() == Total, "all messages pulled");
            Assert.That(counts, Is.All.EqualTo(Total / 3), $"shares: {string.Join(", ", counts)}");
            Assert.That(seen, Is.All.True);
        }
        finally
        {
            foreach (var pull in pullers)
            {
                await pull.DisposeAsync();
            }
        }
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task APullerThatStopsReadingIsPassedOverForTheOthers(string transport, CancellationToken ct)
    {
        await using var push = new PushSocket(new SocketOptions { SendQueueSize = 4 });
        var address = (await push.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        await using var stalled = new PullSocket(new SocketOptions { ReceiveQueueSize = 1 });
        await using var busy = new PullSocket();
        await stalled.DialAsync(address, ct);
        await busy.DialAsync(address, ct);
        await Wait.UntilAsync(() => push.Socket.PipeCount == 2, "two pullers connected");

        // Far more than the stalled puller's queues and socket buffers hold, so it is full for most of the run.
        const int Total = 20_000;
        int received = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var message in busy.ReceiveAllAsync(ct))
            {
                message.Dispose();
                Interlocked.Increment(ref received);
            }
        }, ct);
        var payload = new byte[1024];
        for (int i = 0; i < Total; i++)
        {
            await push.SendAsync(payload, ct);
        }

        await Wait.UntilAsync(() => Volatile.Read(ref received) > Total / 2, "the reading puller to take the bulk");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task TryReceiveTakesWhatHasArrivedWithoutWaiting(string transport, CancellationToken ct)
    {
        await using var push = new PushSocket();
        var pull = new PullSocket();
        var address = (await pull.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        await push.DialAsync(address, ct);
        Assert.That(pull.TryReceive(out var none), Is.False);
        Assert.That(none, Is.Null);

        await push.SendAsync(Encoding.UTF8.GetBytes("one"), ct);
        await push.SendAsync(Encoding.UTF8.GetBytes("two"), ct);
        var texts = new List<string>();
        await Wait.UntilAsync(
            () =>
            {
                while (pull.TryReceive(out var message))
                {
                    using (message)
                    {
                        texts.Add(message.ContentAsString());
                    }
                }

                return texts.Count == 2;
            },
            "both messages arrive");
        Assert.That(texts, Is.EqualTo(new[] { "one", "two" }));
        Assert.That(pull.TryReceive(out _), Is.False);

        await pull.DisposeAsync();
        Assert.That(() => pull.TryReceive(out _), Throws.InstanceOf<ObjectDisposedException>());
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ABatchArrivesInOrderAtOnePuller(string transport, CancellationToken ct)
    {
        await using var pull = new PullSocket();
        await using var push = new PushSocket();
        await push.DialAsync((await pull.ListenAsync(TestAddress.For(transport), ct)).BoundAddress, ct);

        var texts = Enumerable.Range(0, 500).Select(i => $"message {i}").ToArray();
        await push.SendBatchAsync(texts.Select(t => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(t)).ToList(), ct);
        await push.SendAsync(Encoding.UTF8.GetBytes("after"), ct);

        foreach (string expected in texts.Append("after"))
        {
            using var message = await pull.ReceiveAsync(ct);
            Assert.That(message.ContentAsString(), Is.EqualTo(expected));
        }

        await push.DisposeAsync();
        Assert.That(() => push.SendBatchAsync([new byte[1]]), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => push.SendBatchAsync(null!), Throws.ArgumentNullException);
    }

    [Test]
    public async Task PushDoesNotReceiveAndPullDoesNotSend()
    {
        await using var push = new PushSocket();
        await using var pull = new PullSocket();
        Assert.That(push.Socket.Options.NoReceive, Is.True);
        Assert.That(pull.Socket.Options.NoSend, Is.True);
        Assert.That(() => push.Socket.ReceiveAsync(), Throws.InvalidOperationException);
        Assert.That(async () => await pull.Socket.SendAsync(new byte[1]), Throws.InvalidOperationException);
    }
}
