using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Sender;

/// <summary>
/// Senders blocked on a full pipe queue wait on pooled waiters and are resumed per half queue (Internal/SendRoom.cs):
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

        var payload = new byte[64 * 1024];
        Task waiting = Task.CompletedTask;
        int sent = 0;
        for (; waiting.IsCompleted && sent < 5000; sent++)
        {
            await waiting;
            waiting = sender.SendAsync(payload).AsTask();

            // A send that finds the queue full while the peer's loop is still taking an earlier message gets in a
            // moment later; give it that moment so the loop ends on a send that really waits (if the moment is too
            // short the test only gets weaker: see stillWaiting below).
            await Task.WhenAny(waiting, Task.Delay(100));
        }

        Assert.That(waiting.IsCompleted, Is.False, "a send waits on the stalled peer's full queue");

        // The only pipe closes under the waiting send: it must be released and go to the next pipe to join.
        await stalled.DisposeAsync();
        await Wait.UntilAsync(() => sender.PipeCount == 0, "the pipe to the stalled peer closes");
        // Rarely the last send found the queue full only while an earlier message was being taken, and got in after
        // all; then it went down with the stalled peer. Otherwise it is still waiting, now for a pipe.
        bool stillWaiting = !waiting.IsCompleted;
        Assert.That(waiting.IsFaulted, Is.False, $"the send was not failed by the pipe closing: {waiting.Exception?.InnerException}");
        await sender.DialAsync(await reader.ListenOnAsync(transport));
        await Wait.ForAsync(waiting, "the released send goes to the new pipe");
        if (stillWaiting)
        {
            using var message = await reader.ReceiveAsync(Wait.Token());
            Assert.That(message.Length, Is.EqualTo(payload.Length));
        }
    }
}
