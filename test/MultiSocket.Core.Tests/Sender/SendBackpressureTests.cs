using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Sender;

/// <summary>
/// Senders blocked on a full pipe queue wait on pooled waiters and are resumed per half queue (Internal/SendQueue.cs):
/// every message still arrives in order per sender, and a blocked sender is released when its pipe goes away.
/// </summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class SendBackpressureTests(string transport)
{
    [TestCase(1)]
    [TestCase(3)]
    [TestCase(8)]
    public async Task ConcurrentBlockedSendersDeliverEverythingInOrder(int sendQueueSize)
    {
        const int senders = 3;
        const int perSender = 200;
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = sendQueueSize });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));

        var sending = Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            for (int i = 0; i < perSender; i++)
            {
                await sender.SendAsync(new byte[] { (byte)s, (byte)i, (byte)(i >> 8) });
            }
        })));

        var next = new int[senders];
        for (int n = 0; n < senders * perSender; n++)
        {
            using var message = await receiver.ReceiveAsync(Wait.Token());
            var content = message.Content.Span;
            int s = content[0];
            int i = content[1] | (content[2] << 8);
            Assert.That(i, Is.EqualTo(next[s]), $"sender {s}'s messages arrive in order");
            next[s]++;
        }

        await Wait.ForAsync(sending, "every send completed");
        Assert.That(next, Is.All.EqualTo(perSender));
    }

    [Test]
    public async Task SendBlockedOnAPipeThatClosesMovesToAnotherPipe()
    {
        // A peer that never reads: its receive queue of one and the sender's queue of one fill quickly.
        var stalled = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await using var _ = stalled;
        await using var reader = new Socket(new SocketOptions { NoSend = true });
        await using var sender = new Socket(new SocketOptions
        {
            NoReceive = true, SendQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100),
        });
        await sender.DialAsync(await stalled.ListenOnAsync(transport));
        await Wait.UntilAsync(() => sender.PipeCount == 1, "the sender's pipe to the stalled peer opens");

        // Far more than the stalled path can hold (its queues plus, over stream transports, a few MiB of pipe and
        // kernel buffers): most of these sends are blocked on the full pipe when it closes.
        const int Sends = 1000;
        var payload = new byte[64 * 1024];
        var sends = new Task[Sends];
        for (int i = 0; i < Sends; i++)
        {
            sends[i] = sender.SendAsync(payload).AsTask();
        }

        Assert.That(sends.Count(t => !t.IsCompleted), Is.GreaterThan(Sends / 2), "most sends wait on the stalled peer's full queue");

        // The only pipe closes under the waiting sends: they must be released, not failed, and go to the next pipe.
        await stalled.DisposeAsync();
        await Wait.UntilAsync(() => sender.PipeCount == 0, "the pipe to the stalled peer closes");
        Assert.That(sends.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException), Is.Empty, "no send was failed by the pipe closing");
        int arrived = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var message in reader.ReceiveAllAsync())
            {
                using (message)
                {
                    Assert.That(message.Length, Is.EqualTo(payload.Length));
                    Interlocked.Increment(ref arrived);
                }
            }
        });
        await sender.DialAsync(await reader.ListenOnAsync(transport));
        await Wait.ForAsync(Task.WhenAll(sends), "the released sends go to the new pipe");
        await Wait.UntilAsync(() => Volatile.Read(ref arrived) > 0, "released sends to arrive at the new pipe");
        await reader.DisposeAsync();
        await Wait.ForAsync(reading, "the reader's loop to end");
    }
    [Test]
    public async Task SendsWaitingForAPipeAllGoToTheOneThatJoinsWhileTheyStartWaiting()
    {
        // Senders that find no pipe wait for one; a pipe joining just as they look must not be missed (they looked,
        // found none, and then waited for the *next* join). Many rounds of senders racing a join make that window show.
        for (int round = 0; round < 20; round++)
        {
            await using var reader = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1024 });
            await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 1024 });
            string address = await reader.ListenOnAsync(transport);
            using var start = new ManualResetEventSlim();
            var sends = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                for (int i = 0; i < 8; i++)
                {
                    await sender.SendAsync(new byte[] { 1 });
                }
            })).ToArray();
            start.Set();
            await sender.DialAsync(address);
            await Wait.ForAsync(Task.WhenAll(sends), $"round {round}: every send reaches the pipe that joined");
        }
    }
}
