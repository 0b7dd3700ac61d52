using System.Buffers.Binary;
using System.Diagnostics;
using MultiSocket.Internal;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Internal;

/// <summary>
/// The receive queue's ring (Internal/MessageRing.cs, a Vyukov bounded MPMC queue): exact capacity for any size
/// (including sizes that are not a power of two, where enqueue checks the count), FIFO order, wrap-around over many
/// laps, and exactly-once delivery under concurrent producers and consumers.
/// </summary>
[CancelAfter(30_000)]
public class MessageRingTests
{
    // Bound for the concurrent tests: far above what they take (well under a second), so only a hang trips it.
    private static readonly TimeSpan ConcurrentBound = TimeSpan.FromSeconds(20);

    private static Message Numbered(int producer, int sequence)
    {
        Span<byte> content = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(content, producer);
        BinaryPrimitives.WriteInt32LittleEndian(content[4..], sequence);
        return Message.Create(content);
    }

    private static (int Producer, int Sequence) Read(Message message)
    {
        var content = message.Content.Span;
        return (BinaryPrimitives.ReadInt32LittleEndian(content), BinaryPrimitives.ReadInt32LittleEndian(content[4..]));
    }

    private static int SequenceOf(Message message) => Read(message).Sequence;

    private static void DrainAndDispose(MessageRing ring)
    {
        while (ring.TryDequeue(out var message))
        {
            message.Dispose();
        }
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void ConstructorRejectsCapacityBelowOne(int capacity)
    {
        Assert.That(() => new MessageRing(capacity), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(5)]
    [TestCase(64)]
    public void ExactlyCapacityEnqueuesSucceedThenTheRingIsFull(int capacity)
    {
        var ring = new MessageRing(capacity);
        Assert.That(ring.Capacity, Is.EqualTo(capacity));
        Assert.That(ring.Count, Is.Zero);

        for (int i = 0; i < capacity; i++)
        {
            Assert.That(ring.TryEnqueue(Numbered(0, i)), Is.True, $"enqueue {i} of {capacity} fits");
            Assert.That(ring.Count, Is.EqualTo(i + 1));
        }

        using var extra = Numbered(0, capacity);
        Assert.That(ring.TryEnqueue(extra), Is.False, "one more than the capacity is refused");
        Assert.That(ring.TryEnqueue(extra), Is.False, "and refused again");
        Assert.That(ring.Count, Is.EqualTo(capacity));

        DrainAndDispose(ring);
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(64)]
    public void DequeuesInFifoOrderAndEmptyRingReturnsFalse(int capacity)
    {
        var ring = new MessageRing(capacity);
        Assert.That(ring.TryDequeue(out var none), Is.False, "a new ring is empty");
        Assert.That(none, Is.Null);

        for (int i = 0; i < capacity; i++)
        {
            Assert.That(ring.TryEnqueue(Numbered(0, i)), Is.True);
        }

        for (int i = 0; i < capacity; i++)
        {
            Assert.That(ring.TryDequeue(out var message), Is.True);
            using (message)
            {
                Assert.That(SequenceOf(message!), Is.EqualTo(i), "first in, first out");
            }

            Assert.That(ring.Count, Is.EqualTo(capacity - i - 1));
        }

        Assert.That(ring.TryDequeue(out var after), Is.False, "drained");
        Assert.That(after, Is.Null);
        Assert.That(ring.Count, Is.Zero);
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(64)]
    public void AfterOneDequeueFromAFullRingExactlyOneMoreFits(int capacity)
    {
        var ring = new MessageRing(capacity);
        for (int i = 0; i < capacity; i++)
        {
            Assert.That(ring.TryEnqueue(Numbered(0, i)), Is.True);
        }

        Assert.That(ring.TryDequeue(out var first), Is.True);
        Assert.That(SequenceOf(first!), Is.EqualTo(0));
        first!.Dispose();
        Assert.That(ring.Count, Is.EqualTo(capacity - 1));

        Assert.That(ring.TryEnqueue(Numbered(0, capacity)), Is.True, "the freed place takes one message");
        using var extra = Numbered(0, capacity + 1);
        Assert.That(ring.TryEnqueue(extra), Is.False, "but only one");
        Assert.That(ring.Count, Is.EqualTo(capacity));

        for (int i = 1; i <= capacity; i++)
        {
            Assert.That(ring.TryDequeue(out var message), Is.True);
            using (message)
            {
                Assert.That(SequenceOf(message!), Is.EqualTo(i));
            }
        }

        Assert.That(ring.TryDequeue(out _), Is.False);
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(5)]
    public void FillAndDrainOverManyLapsKeepsCapacityAndOrder(int capacity)
    {
        const int Laps = 10_000;
        var ring = new MessageRing(capacity);
        using var probe = Numbered(-1, -1);
        int sent = 0;
        int received = 0;
        for (int lap = 0; lap < Laps; lap++)
        {
            for (int i = 0; i < capacity; i++)
            {
                Assert.That(ring.TryEnqueue(Numbered(0, sent++)), Is.True, $"lap {lap}: enqueue {i} fits");
            }

            Assert.That(ring.TryEnqueue(probe), Is.False, $"lap {lap}: full at exactly {capacity}");
            Assert.That(ring.Count, Is.EqualTo(capacity));

            for (int i = 0; i < capacity; i++)
            {
                Assert.That(ring.TryDequeue(out var message), Is.True);
                int sequence = SequenceOf(message!);
                message!.Dispose();
                Assert.That(sequence, Is.EqualTo(received++), $"lap {lap}: in order");
            }

            Assert.That(ring.TryDequeue(out _), Is.False, $"lap {lap}: empty");
        }
    }

    [Test]
    public void SteadyStateEnqueueDequeueAtCapacityThreeWrapsManyTimes()
    {
        // Positions advance by one per cycle, so every slot index and the count check see every phase of the lap.
        const int Cycles = 10_000;
        var ring = new MessageRing(3);
        using var probe = Numbered(-1, -1);
        int sent = 0;
        int received = 0;
        Assert.That(ring.TryEnqueue(Numbered(0, sent++)), Is.True);
        Assert.That(ring.TryEnqueue(Numbered(0, sent++)), Is.True);
        for (int cycle = 0; cycle < Cycles; cycle++)
        {
            Assert.That(ring.TryEnqueue(Numbered(0, sent++)), Is.True, $"cycle {cycle}: third fits");
            Assert.That(ring.TryEnqueue(probe), Is.False, $"cycle {cycle}: fourth is refused");
            Assert.That(ring.Count, Is.EqualTo(3));
            Assert.That(ring.TryDequeue(out var message), Is.True);
            int sequence = SequenceOf(message!);
            message!.Dispose();
            Assert.That(sequence, Is.EqualTo(received++), $"cycle {cycle}: in order");
            Assert.That(ring.Count, Is.EqualTo(2));
        }

        DrainAndDispose(ring);
        Assert.That(received + 2, Is.EqualTo(sent));
    }

    [Test]
    public void TwoProducersOneConsumerKeepEachProducersOrder()
    {
        const int Producers = 2;
        const int PerProducer = 100_000;
        var ring = new MessageRing(64);
        var clock = Stopwatch.StartNew();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var producers = Enumerable.Range(0, Producers).Select(p => StartThread(() => Produce(ring, p, PerProducer, clock, failures), failures)).ToArray();

        var next = new int[Producers];
        int total = 0;
        var spinner = new SpinWait();
        while (total < Producers * PerProducer && clock.Elapsed < ConcurrentBound)
        {
            if (TakeOrSpin(ring, ref spinner) is not { } message)
            {
                continue;
            }

            var (producer, sequence) = Read(message);
            message.Dispose();
            if (sequence != next[producer])
            {
                Assert.Fail($"producer {producer}: got {sequence}, expected {next[producer]} (per-producer FIFO broken)");
            }

            next[producer]++;
            total++;
        }

        JoinAll(producers);
        Assert.That(failures, Is.Empty);
        Assert.That(total, Is.EqualTo(Producers * PerProducer), "every message was taken before the bound");
        Assert.That(next, Is.All.EqualTo(PerProducer));
        Assert.That(ring.TryDequeue(out _), Is.False, "nothing left over");
    }

    [Test]
    public void TwoProducersTwoConsumersTakeEveryMessageExactlyOnce()
    {
        const int Producers = 2;
        const int Consumers = 2;
        const int PerProducer = 100_000;
        var ring = new MessageRing(64);
        var clock = Stopwatch.StartNew();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var taken = new int[Producers, PerProducer];
        int total = 0;

        var producers = Enumerable.Range(0, Producers).Select(p => StartThread(() => Produce(ring, p, PerProducer, clock, failures), failures)).ToArray();
        var consumers = Enumerable.Range(0, Consumers).Select(_ => StartThread(() =>
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref total) < Producers * PerProducer && clock.Elapsed < ConcurrentBound)
            {
                if (TakeOrSpin(ring, ref spinner) is not { } message)
                {
                    continue;
                }

                var (producer, sequence) = Read(message);
                message.Dispose();
                if (Interlocked.Increment(ref taken[producer, sequence]) != 1)
                {
                    failures.Enqueue($"producer {producer}'s message {sequence} was taken twice");
                }

                Interlocked.Increment(ref total);
            }
        }, failures)).ToArray();

        JoinAll(producers);
        JoinAll(consumers);
        Assert.That(failures, Is.Empty);
        Assert.That(total, Is.EqualTo(Producers * PerProducer), "every message was taken before the bound");
        for (int p = 0; p < Producers; p++)
        {
            for (int i = 0; i < PerProducer; i++)
            {
                if (taken[p, i] != 1)
                {
                    Assert.Fail($"producer {p}'s message {i} was taken {taken[p, i]} times");
                }
            }
        }

        Assert.That(ring.TryDequeue(out _), Is.False, "nothing left over");
        Assert.That(ring.Count, Is.Zero);
    }

    private static void Produce(MessageRing ring, int producer, int count, Stopwatch clock, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        // Spin, then yield, never sleep: four busy threads on two cores must not wait a timer tick per full ring.
        var spinner = new SpinWait();
        for (int i = 0; i < count; i++)
        {
            var message = Numbered(producer, i);
            while (!ring.TryEnqueue(message))
            {
                if (clock.Elapsed > ConcurrentBound)
                {
                    message.Dispose();
                    failures.Enqueue($"producer {producer} timed out at message {i}");
                    return;
                }

                spinner.SpinOnce(sleep1Threshold: -1);
            }

            spinner.Reset();
        }
    }

    private static Thread StartThread(Action body, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        // An exception on a bare thread would end the test process: record it as a failure instead.
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex.ToString());
            }
        })
        { IsBackground = true };
        thread.Start();
        return thread;
    }

    private static void JoinAll(Thread[] threads)
    {
        foreach (var thread in threads)
        {
            Assert.That(thread.Join(ConcurrentBound + TimeSpan.FromSeconds(5)), Is.True, "thread ended within the bound");
        }
    }

    /// <summary>Takes a message, or spins once (without sleeping) and returns null when the ring is empty.</summary>
    private static Message? TakeOrSpin(MessageRing ring, ref SpinWait spinner)
    {
        if (ring.TryDequeue(out var message))
        {
            spinner.Reset();
            return message;
        }

        spinner.SpinOnce(sleep1Threshold: -1);
        return null;
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(4)]
    public void SingleConsumerDequeueKeepsOrderAcrossLapsAndReportsEmpty(int capacity)
    {
        var ring = new MessageRing(capacity);
        Assert.That(ring.TryDequeueSingleConsumer(out _), Is.False, "empty at the start");
        int next = 0, expected = 0;
        for (int lap = 0; lap < 5; lap++)
        {
            // Fill to capacity (one more is refused), then drain: every lap reuses the slots with new sequences.
            while (ring.TryEnqueue(Message.Create(BitConverter.GetBytes(next))))
            {
                next++;
            }

            Assert.That(ring.Count, Is.EqualTo(capacity));
            while (ring.TryDequeueSingleConsumer(out var message))
            {
                Assert.That(BitConverter.ToInt32(message.Content.Span), Is.EqualTo(expected++));
                message.Dispose();
            }

            Assert.That(ring.Count, Is.Zero);
        }

        Assert.That(expected, Is.EqualTo(5 * capacity));
    }

    [Test]
    public void SingleConsumerDequeueWithConcurrentProducersTakesEachMessageOnce()
    {
        const int producers = 3, perProducer = 50_000;
        var ring = new MessageRing(8);
        var sending = Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < perProducer; i++)
            {
                var message = Message.Create(BitConverter.GetBytes(p * perProducer + i));
                var spinner = new SpinWait();
                while (!ring.TryEnqueue(message))
                {
                    spinner.SpinOnce();
                }
            }
        })).ToArray();

        var next = new int[producers];
        var clock = Stopwatch.StartNew();
        for (int taken = 0; taken < producers * perProducer;)
        {
            if (!ring.TryDequeueSingleConsumer(out var message))
            {
                Assert.That(clock.Elapsed, Is.LessThan(Wait.Timeout), "producers stalled");
                Thread.SpinWait(10);
                continue;
            }

            int value = BitConverter.ToInt32(message.Content.Span);
            message.Dispose();
            Assert.That(value % perProducer, Is.EqualTo(next[value / perProducer]++), "each producer's order");
            taken++;
        }

        Assert.That(Task.WaitAll(sending, Wait.Timeout), Is.True);
        Assert.That(ring.TryDequeueSingleConsumer(out _), Is.False);
    }

    [Test]
    public void PeekLeavesTheHeadAndOnlyOneTakeOfAPositionSucceeds()
    {
        var ring = new MessageRing(4);
        Assert.That(ring.TryPeek(out _, out var none), Is.False, "empty");
        Assert.That(none, Is.Null);
        var first = Numbered(0, 1);
        var second = Numbered(0, 2);
        ring.TryEnqueue(first);
        ring.TryEnqueue(second);

        Assert.That(ring.TryPeek(out long position, out var head), Is.True);
        Assert.That(head, Is.SameAs(first));
        Assert.That(ring.TryPeek(out long again, out var still), Is.True, "a peek takes nothing");
        Assert.That((again, still), Is.EqualTo((position, first)));
        Assert.That(ring.Count, Is.EqualTo(2));
        Assert.That(ring.IsHead(position), Is.True);

        Assert.That(ring.TryTakeHead(position), Is.True);
        Assert.That(ring.TryTakeHead(position), Is.False, "that position was taken already");
        Assert.That(ring.IsHead(position), Is.False);
        Assert.That(ring.TryPeek(out long next, out var nextHead), Is.True);
        Assert.That((next, nextHead), Is.EqualTo((position + 1, second)));

        // The slot is free for the next lap.
        Assert.That(ring.TryDequeue(out var taken), Is.True);
        Assert.That(taken, Is.SameAs(second));
        for (int i = 0; i < 4; i++)
        {
            Assert.That(ring.TryEnqueue(Numbered(1, i)), Is.True, $"lap two, {i}");
        }

        first.Dispose();
        second.Dispose();
        DrainAndDispose(ring);
    }
}
