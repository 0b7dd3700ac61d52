using System.Buffers.Binary;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Sender;

/// <summary>
/// <see cref="Socket.SendBatchAsync"/>: each content arrives as its own message, in order and as from single sends,
/// over every transport; in-process runs go as receive batches, which fall back to single sends when they cannot.
/// </summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class SendBatchTests(string transport)
{
    [Test]
    public async Task EveryContentArrivesInOrderAsFromSingleSends()
    {
        await using var receiver = new Socket(new SocketOptions { NoSend = true });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendTtl = 9 });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));
        await Wait.UntilAsync(() => sender.PipeCount == 1, "the sender's pipe opens");

        await sender.SendAsync(Numbered(-1, 10));
        using var single = await receiver.ReceiveAsync(Wait.Token());

        // Small ones (batched in process), empty-ish, and some too large for a batch (sent one by one) among them.
        int[] sizes = [.. Enumerable.Range(0, 1200).Select(i => i % 97 == 0 ? 5000 + i : i % 300 + 4)];
        await sender.SendBatchAsync(sizes.Select((size, i) => Numbered(i, size)).ToArray());

        for (int i = 0; i < sizes.Length; i++)
        {
            using var message = await receiver.ReceiveAsync(Wait.Token());
            Assert.That(message.Content.ToArray(), Is.EqualTo(Numbered(i, sizes[i]).ToArray()), $"message {i}");
            Assert.That(message.Ttl, Is.EqualTo(single.Ttl), "ttl as a single send's");
            Assert.That(message.SendType, Is.EqualTo(single.SendType));
            Assert.That(message.Flags, Is.EqualTo(single.Flags));
            Assert.That(message.Source, Is.EqualTo(single.Source), "the same pipe records itself");
            Assert.That(message.Destination.IsEmpty, Is.True);
        }

        Assert.That(receiver.TryReceive(out var extra), Is.False, $"nothing more (got {extra})");
    }

    [Test]
    public async Task BatchesAndSingleSendsFromOneTaskKeepTheirOrder()
    {
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 4 });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 8 });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));

        const int Rounds = 300;
        var random = new Random(5);
        var batchSizes = Enumerable.Range(0, Rounds).Select(_ => random.Next(0, 70)).ToArray();
        int total = batchSizes.Sum() + Rounds;
        var sending = Task.Run(async () =>
        {
            int next = 0;
            foreach (int size in batchSizes)
            {
                await sender.SendAsync(Numbered(next++, 8));
                await sender.SendBatchAsync(Enumerable.Range(next, size).Select(i => Numbered(i, 8)).ToList());
                next += size;
            }
        });

        for (int i = 0; i < total; i++)
        {
            using var message = await receiver.ReceiveAsync(Wait.Token());
            Assert.That(NumberOf(message), Is.EqualTo(i), "in the order sent");
        }

        await Wait.ForAsync(sending, "every send completed");
    }

    [Test]
    public async Task ABatchLargerThanTheQueuesWaitsForRoomAndDeliversEverything()
    {
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 2 });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));

        // ~31 KiB per batch entry: the queues hold a few entries, the batch needs ~70.
        const int Count = 2000;
        var contents = Enumerable.Range(0, Count).Select(i => Numbered(i, 1024)).ToArray();
        var sending = sender.SendBatchAsync(contents).AsTask();

        for (int i = 0; i < Count; i++)
        {
            using var message = await receiver.ReceiveAsync(Wait.Token());
            Assert.That(NumberOf(message), Is.EqualTo(i));
            Assert.That(message.Length, Is.EqualTo(1024));
        }

        await Wait.ForAsync(sending, "the batch completed");
    }

    [Test]
    public async Task ABatchThatWaitsThousandsOfTimesCompletes()
    {
        // Each message fills the receiver's queue of one and the sender's queue of one: nearly every send waits.
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 1 });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));
        await Wait.UntilAsync(() => sender.PipeCount == 1, "the sender's pipe opens");

        const int Count = 20_000;
        var sending = sender.SendBatchAsync(Enumerable.Range(0, Count).Select(i => Numbered(i, 5000)).ToArray()).AsTask();
        for (int i = 0; i < Count; i++)
        {
            using var message = await receiver.ReceiveAsync(Wait.Token());
            Assert.That(NumberOf(message), Is.EqualTo(i));
        }

        await Wait.ForAsync(sending, "the batch completed");
    }

    [Test]
    public async Task SeveralConsumersTakeEveryMessageOnce()
    {
        await using var receiver = new Socket(new SocketOptions { NoSend = true });
        await using var sender = new Socket(new SocketOptions { NoReceive = true });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));

        const int Count = 20_000;
        var seen = new int[Count];
        var consumers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(Wait.Token());
            try
            {
                await foreach (var message in receiver.ReceiveAllAsync(done.Token))
                {
                    using (message)
                    {
                        if (Interlocked.Increment(ref seen[NumberOf(message)]) > 1)
                        {
                            return;
                        }
                    }

                    if (seen.All(s => s > 0))
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        for (int start = 0; start < Count; start += 500)
        {
            await sender.SendBatchAsync(Enumerable.Range(start, 500).Select(i => Numbered(i, 16)).ToArray());
        }

        await Wait.UntilAsync(() => seen.All(s => s > 0), "every message received");
        Assert.That(seen, Is.All.EqualTo(1), "each message exactly once");
    }

    [Test]
    public async Task AnEmptyBatchSendsNothing()
    {
        await using var receiver = new Socket(new SocketOptions { NoSend = true });
        await using var sender = new Socket(new SocketOptions { NoReceive = true });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));

        var sent = sender.SendBatchAsync([]);
        Assert.That(sent.IsCompletedSuccessfully, Is.True);
        await sender.SendAsync(Numbered(7, 4));
        using var message = await receiver.ReceiveAsync(Wait.Token());
        Assert.That(NumberOf(message), Is.EqualTo(7), "the next send is the first message");
    }

    private static ReadOnlyMemory<byte> Numbered(int number, int size)
    {
        var bytes = new byte[Math.Max(size, 4)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, number);
        for (int i = 4; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(number + i);
        }

        return bytes;
    }

    private static int NumberOf(Message message) => BinaryPrimitives.ReadInt32BigEndian(message.Content.Span);
}

/// <summary><see cref="Socket.SendBatchAsync"/>'s arguments, state and cancellation; and the in-process fast path's limits.</summary>
[CancelAfter(30_000)]
public class SendBatchArgumentTests
{
    [Test]
    public async Task NullContentsThrow()
    {
        await using var socket = new Socket();
        Assert.That(() => socket.SendBatchAsync(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("contents"));
    }

    [Test]
    public async Task ASocketThatCannotSendThrows()
    {
        await using var socket = new Socket(new SocketOptions { NoSend = true });
        Assert.That(() => socket.SendBatchAsync([new byte[1]]), Throws.InvalidOperationException.With.Message.Contains("NoSend"));
    }

    [Test]
    public async Task ADisposedSocketThrows()
    {
        var socket = new Socket();
        await socket.DisposeAsync();
        Assert.That(() => socket.SendBatchAsync([new byte[1]]), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public async Task CancellingABatchThatWaitsForAPeerThrows()
    {
        await using var socket = new Socket(new SocketOptions { NoReceive = true });
        using var cancel = new CancellationTokenSource();
        var sending = socket.SendBatchAsync([new byte[1], new byte[2]], cancel.Token).AsTask();
        Assert.That(sending.IsCompleted, Is.False, "no peer: the first message waits");
        await cancel.CancelAsync();
        Assert.That(async () => await sending, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task DisposingTheSocketEndsAWaitingBatchAsItEndsAWaitingSend()
    {
        var socket = new Socket(new SocketOptions { NoReceive = true });
        var single = socket.SendAsync(new byte[1]).AsTask();
        var batch = socket.SendBatchAsync([new byte[1], new byte[2]]).AsTask();
        Assert.That(batch.IsCompleted, Is.False, "no peer: the batch waits");
        await socket.DisposeAsync();

        var singleError = Assert.CatchAsync(async () => await Wait.ForAsync(single, "the single send ends"));
        var batchError = Assert.CatchAsync(async () => await Wait.ForAsync(batch, "the batch ends"));
        Assert.That(batchError, Is.TypeOf(singleError!.GetType()), $"the single send ended with {singleError}");
    }

    [Test]
    public async Task AContentOverThePeersLimitClosesItsPipeAsASingleSendDoes()
    {
        const int Limit = 100;
        await using var receiver = new Socket(new SocketOptions { NoSend = true });
        var events = new PipeEvents(receiver);
        string address = TestAddress.For("inproc");
        await receiver.ListenAsync($"{address}?MaxRecvContentLength={Limit}");
        await using var sender = new Socket(new SocketOptions { NoReceive = true, Reconnect = false });
        await sender.DialAsync(address);
        var added = await events.WaitAddedAsync();

        // The three that fit go as one run; the oversized one is sent alone and refused as a single send is. (A
        // message after it would wait for a peer: the pipe closes and this socket does not reconnect.)
        var sending = sender.SendBatchAsync([new byte[] { 1 }, new byte[Limit], new byte[] { 3 }, new byte[Limit + 1]]);
        Assert.That(sending.IsCompleted, Is.True, "nothing waits");
        await sending;

        foreach (int length in new[] { 1, Limit, 1 })
        {
            using var message = await receiver.ReceiveAsync(Wait.Token());
            Assert.That(message.Length, Is.EqualTo(length), "those before the oversized one arrive");
        }

        var removed = await events.WaitRemovedAsync(added.PipeId);
        Assert.That(removed.Error, Is.InstanceOf<FrameException>(), $"closed with {removed.Error}");
        Assert.That(((FrameException)removed.Error!).Error, Is.EqualTo(FrameError.ContentTooLong));
    }

    [Test]
    public async Task ABestEffortBatchNeverWaitsAndCountsWhatItDrops()
    {
        // A peer that never reads, with room for one entry; the sender's link holds two messages.
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        string address = await receiver.ListenOnAsync("inproc");
        await using var sender = new Socket(new SocketOptions { NoReceive = true, BestEffort = true, SendQueueSize = 2 });
        await sender.DialAsync(address);
        await Wait.UntilAsync(() => sender.PipeCount == 1 && receiver.PipeCount == 1, "the pipes open");

        // Five batches' worth (32 frames of 1008 B fill one): the first goes in as one entry, two more messages wait
        // in the link, and the rest find no room.
        var contents = Enumerable.Range(0, 5 * 32).Select(_ => (ReadOnlyMemory<byte>)new byte[1000]).ToArray();
        var sent = sender.SendBatchAsync(contents);
        Assert.That(sent.IsCompletedSuccessfully, Is.True, "best effort never waits");
        Assert.That(sender.Statistics.Dropped, Is.EqualTo(contents.Length - 32 - 2), "everything else is dropped and counted");

        // The batch, then (moved in once the queue has room) the two the link held.
        for (int i = 0; i < 32 + 2; i++)
        {
            using var message = await receiver.ReceiveAsync(Wait.Token());
            Assert.That(message.Length, Is.EqualTo(1000));
        }
    }
}
