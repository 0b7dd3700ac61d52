using MultiSocket.Internal;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Internal;

/// <summary>
/// A byte-stream pipe's send queue (Internal/SendQueue.cs): the full mark best-effort senders drop on, which the
/// reader lowers once it has taken the queue down to half, and which never outlives a drained queue.
/// </summary>
[CancelAfter(30_000)]
public class SendQueueTests
{
    private const int Capacity = 8;

    private static void Fill(SendQueue queue)
    {
        for (int i = 0; i < Capacity; i++)
        {
            Assert.That(queue.TryWrite(Message.Create([(byte)i])), Is.True, $"write {i}");
        }
    }

    private static void Take(SendQueue queue, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.That(queue.TryRead(out var message), Is.True, $"read {i}");
            message!.Dispose();
        }
    }

    private static void Drain(SendQueue queue)
    {
        while (queue.TryRead(out var message))
        {
            message.Dispose();
        }
    }

    [Test]
    public void TheFullMarkStaysUpUntilTheReaderHasTakenTheQueueDownToHalf()
    {
        var queue = new SendQueue(Capacity);
        Fill(queue);
        using var extra = Message.Create("x"u8);
        Assert.That(queue.TryWrite(extra), Is.False);
        queue.MarkFull();
        Assert.That(queue.IsMarkedFull, Is.True);

        Take(queue, Capacity / 2 - 1);
        Assert.That(queue.IsMarkedFull, Is.True, "above half: best-effort sends still drop");

        Take(queue, 1);
        Assert.That(queue.IsMarkedFull, Is.False, "at half: the mark is down");
        Drain(queue);
    }

    [Test]
    public void TheFullMarkDoesNotStopOrdinaryWrites()
    {
        // Only best-effort sends look at the mark; a sender that waits for room writes whenever there is some.
        var queue = new SendQueue(Capacity);
        Fill(queue);
        queue.MarkFull();
        Take(queue, 1);
        Assert.That(queue.IsMarkedFull, Is.True);
        Assert.That(queue.TryWrite(Message.Create("y"u8)), Is.True);
        Drain(queue);
    }

    [Test]
    public void AMarkRaisedAfterTheReaderDrainedTheQueueComesDownAtOnce()
    {
        // A sender that found the queue full can be overtaken by the reader draining it before it raises the mark;
        // nothing would take the queue down again, so the mark must not stay up over a drained queue.
        var queue = new SendQueue(Capacity);
        Fill(queue);
        Drain(queue);
        queue.MarkFull();
        Assert.That(queue.IsMarkedFull, Is.False);
    }

    [Test]
    public async Task ABestEffortPublisherDropsWhileASubscriberStallsAndDeliversAgainOnceItReads()
    {
        // Over tcp: the subscriber stops reading, the publisher's queue fills and best-effort sends drop (without
        // blocking); once the subscriber reads again, new sends get through.
        var options = new SocketOptions { NoReceive = true, BestEffort = true, SendQueueSize = Capacity };
        await using var pub = new Socket(options);
        await using var sub = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = Capacity });
        var listener = await pub.ListenAsync("tcp://127.0.0.1:0");
        await sub.DialAsync(listener.BoundAddress);
        await Wait.UntilAsync(() => pub.PipeCount == 1, "the subscriber connects");

        // Far more than the queues and the socket buffers hold: most are dropped, and none blocks.
        var payload = new byte[16 * 1024];
        for (int i = 0; i < 2_000; i++)
        {
            var sent = pub.SendAllAsync(payload);
            Assert.That(sent.IsCompleted, Is.True, $"best-effort send {i} waited");
            await sent;
        }

        Assert.That(pub.Statistics.Dropped, Is.GreaterThan(0));

        // Drain what got through, then a marked message must arrive.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var marker = new byte[] { 0xFF };
        var seenMarker = false;
        var publishing = Task.Run(async () =>
        {
            while (!Volatile.Read(ref seenMarker) && !cts.IsCancellationRequested)
            {
                await pub.SendAllAsync(marker);
                await Task.Yield();
            }
        });

        await foreach (var message in sub.ReceiveAllAsync(cts.Token))
        {
            using (message)
            {
                if (message.Length == 1 && message.Content.Span[0] == 0xFF)
                {
                    Volatile.Write(ref seenMarker, true);
                    break;
                }
            }
        }

        await publishing;
        Assert.That(seenMarker, Is.True);
    }
}
