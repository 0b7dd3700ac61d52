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
        await using var push = new PushSocket();
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
            Assert.That(counts, Is.All.GreaterThanOrEqualTo(Total / 5), $"shares: {string.Join(", ", counts)}");
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
