using System.Buffers.Binary;
using System.Collections.Concurrent;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Transport;

/// <summary>
/// In-process delivery (Transport/MessageLink.cs, Pipe.Receive.cs): the sending pipe hands messages straight into the
/// receiving socket's queue, and the link queues (up to the sender's SendQueueSize) only what is sent before the
/// receiving pipe attaches or while the receive queue is full. Observable behaviour over real sockets on inproc://.
/// </summary>
[CancelAfter(30_000)]
public class InprocDirectDeliveryTests
{
    private static byte[] Numbered(int sender, int sequence)
    {
        var content = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(content, sender);
        BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(4), sequence);
        return content;
    }

    private static (int Sender, int Sequence) Read(Message message)
    {
        var content = message.Content.Span;
        Assert.That(content.Length, Is.EqualTo(8), "a numbered message");
        return (BinaryPrimitives.ReadInt32LittleEndian(content), BinaryPrimitives.ReadInt32LittleEndian(content[4..]));
    }

    private static async Task SendNumberedAsync(Socket socket, int sender, int count)
    {
        var deadline = Wait.Token();
        for (int i = 0; i < count; i++)
        {
            await socket.SendAsync(Numbered(sender, i), deadline);
        }
    }

    /// <summary>
    /// Connects <paramref name="sender"/> (send queue 1) to <paramref name="receiver"/> (receive queue 1) and sends three
    /// messages: one goes into the receive queue, one into the link's queue, and the third has to wait.
    /// </summary>
    private static async Task<Task> BlockTheThirdSendAsync(Socket receiver, Socket sender)
    {
        await sender.DialAsync(await receiver.ListenOnAsync("inproc"));
        await WaitDirectAsync(receiver);
        await sender.SendAsync(Numbered(0, 0));
        await sender.SendAsync(Numbered(0, 1));
        var blocked = sender.SendAsync(Numbered(0, 2)).AsTask();
        Assert.That(blocked.IsCompleted, Is.False, "the third send waits: both queues are full");
        return blocked;
    }

    private static Task WaitDirectAsync(Socket receiver, int pipes = 1) =>
        Wait.UntilAsync(
            () => receiver.PipeList is { } list && list.Length == pipes && list.All(p => p.ReceivesDirectly),
            $"{pipes} receiving pipe(s) take messages directly");

    /// <summary>After the sender is gone and its pipe has closed on the receiver, nothing more may be waiting.</summary>
    private static async Task AssertNothingMoreAsync(Socket receiver, Socket sender)
    {
        await sender.DisposeAsync();
        await Wait.UntilAsync(() => receiver.PipeCount == 0, "the sender's pipe closes on the receiver");
        Assert.That(receiver.TryReceive(out var extra), Is.False, $"no message beyond the expected ones (got {extra})");
    }

    [Test]
    public async Task MessagesSentBeforeAndAfterTheListenerAttachesArriveInOrderExactlyOnce()
    {
        const int Count = 5_000;
        const int SendQueue = 64;
        await using var server = new Socket(new SocketOptions { NoSend = true });

        // PipeAdded is raised before the pipe starts (and attaches to its link): holding the handler keeps the
        // listening side's pipe from attaching, so the first sends must wait in the link.
        using var attach = new ManualResetEventSlim();
        server.PipeAdded += (_, _) => attach.Wait(Wait.Timeout);
        var address = await server.ListenOnAsync("inproc");
        var client = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = SendQueue, Linger = TimeSpan.FromSeconds(5) });
        await using var _ = client;
        int sent = 0;
        Task sending;
        try
        {
            await client.DialAsync(address);
            async Task SendAllNumberedAsync()
            {
                var deadline = Wait.Token();
                for (int i = 0; i < Count; i++)
                {
                    await client.SendAsync(Numbered(0, i), deadline);
                    Volatile.Write(ref sent, i + 1);
                }
            }

            // Called inline: the sends that fit in the link complete synchronously, the first that does not returns.
            sending = SendAllNumberedAsync();
            Assert.That(Volatile.Read(ref sent), Is.EqualTo(SendQueue), "the link holds exactly the sender's send queue size");
            Assert.That(sending.IsCompleted, Is.False, "the next send waits for the reading pipe");
        }
        finally
        {
            attach.Set();
        }

        // The reader attaches: the queued messages move in first, then sends go direct (with the receive queue
        // filling and draining in between, as the test reads).
        for (int i = 0; i < Count; i++)
        {
            using var message = await server.ReceiveAsync(Wait.Token());
            var (_, sequence) = Read(message);
            if (sequence != i)
            {
                Assert.Fail($"message {i}: got number {sequence} (out of order, lost or duplicated)");
            }
        }

        await Wait.ForAsync(sending, "every send completed");
        await AssertNothingMoreAsync(server, client);
    }

    [TestCase(1)]
    [TestCase(3)]
    public async Task OrderHoldsAcrossFullQueuedAndDirectSwitching(int senderTasks)
    {
        const int Total = 20_000;
        int perTask = Total / senderTasks;
        await using var server = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 4 });
        var address = await server.ListenOnAsync("inproc");
        var client = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 4, Linger = TimeSpan.FromSeconds(5) });
        await using var _ = client;
        await client.DialAsync(address);
        await WaitDirectAsync(server);

        // Several tasks share the one pipe: each task's sends are awaited in turn, so each task's order must hold.
        var sending = Task.WhenAll(Enumerable.Range(0, senderTasks).Select(s => Task.Run(() => SendNumberedAsync(client, s, perTask))));

        // Nobody reads yet: the receive queue (4) and then the link's queue (4) fill, and the link leaves direct mode.
        await Wait.UntilAsync(() => !server.PipeList[0].ReceivesDirectly, "the link queues once the receive queue is full");

        var next = new int[senderTasks];
        int directSeen = 0;
        int queuedSeen = 0;
        for (int n = 0; n < perTask * senderTasks; n++)
        {
            if (n < Total / 2 && n % 3 == 0)
            {
                // Slow at first: let the senders refill both queues over and over.
                await Task.Yield();
                if (server.PipeList is [var pipe])
                {
                    if (pipe.ReceivesDirectly)
                    {
                        directSeen++;
                    }
                    else
                    {
                        queuedSeen++;
                    }
                }
            }

            using var message = await server.ReceiveAsync(Wait.Token());
            var (sender, sequence) = Read(message);
            if (sequence != next[sender])
            {
                Assert.Fail($"sender {sender}: got number {sequence}, expected {next[sender]} (out of order, lost or duplicated)");
            }

            next[sender]++;
        }

        await Wait.ForAsync(sending, "every send completed");
        TestContext.Out.WriteLine($"link seen direct {directSeen} times, queued {queuedSeen} times");
        Assert.That(next, Is.All.EqualTo(perTask));

        // Everything was taken, so the link's queue is empty and the reader re-attached: back to direct mode.
        await Wait.UntilAsync(() => server.PipeList[0].ReceivesDirectly, "the link returns to direct mode once drained");
        await AssertNothingMoreAsync(server, client);
    }

    [Test]
    public async Task MessageThatDidNotFitIsOfferedElsewhereUnchanged()
    {
        const int Sends = 20;
        const byte Ttl = 10;
        var a = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await using var _ = a;
        await using var b = new Socket(new SocketOptions { NoSend = true });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 1, SendTtl = Ttl, Linger = TimeSpan.FromMilliseconds(100) });
        await sender.DialAsync(await a.ListenOnAsync("inproc"));
        await sender.DialAsync(await b.ListenOnAsync("inproc"));
        await Wait.UntilAsync(() => sender.PipeCount == 2, "the sender has both pipes");
        await WaitDirectAsync(a);
        await WaitDirectAsync(b);

        // Round robin: A takes two (one into its receive queue of 1, then one into the link's queue of 1, after a
        // direct arrival that failed and was undone); from then on A refuses and every message goes to B.
        for (int i = 0; i < Sends; i++)
        {
            var sent = sender.SendAsync(Numbered(0, i));
            Assert.That(sent.IsCompletedSuccessfully, Is.True, $"send {i} found room at once");
            await sent;
        }

        Assert.That(a.PipeList[0].ReceivesDirectly, Is.False, "A's link is queueing");

        var atB = new List<int>();
        for (int i = 0; i < Sends - 2; i++)
        {
            using var message = await b.ReceiveAsync(Wait.Token());
            atB.Add(Read(message).Sequence);
            Assert.That(message.Source.Count, Is.EqualTo(1), $"message {atB[^1]} at B: one pipe in its source path ({message.Source})");
            Assert.That(message.Ttl, Is.EqualTo(Ttl - 1), $"message {atB[^1]} at B: one hop spent");
        }

        Assert.That(b.TryReceive(out var extra), Is.False, $"B got exactly {Sends - 2} (extra: {extra})");
        Assert.That(atB, Is.Ordered.Ascending);

        // A's second message failed a direct arrival (its queue was full) and waited in the link: it must arrive with
        // the bookkeeping of that failed attempt undone.
        var atA = new List<int>();
        for (int i = 0; i < 2; i++)
        {
            using var message = await a.ReceiveAsync(Wait.Token());
            atA.Add(Read(message).Sequence);
            Assert.That(message.Source.Count, Is.EqualTo(1), $"message {atA[^1]} at A: one pipe in its source path ({message.Source})");
            Assert.That(message.Ttl, Is.EqualTo(Ttl - 1), $"message {atA[^1]} at A: one hop spent");
        }

        Assert.That(atA.Concat(atB).Order(), Is.EqualTo(Enumerable.Range(0, Sends)), "every message arrived once");
    }

    [Test]
    public async Task ConcurrentSendersPassingAFullPeerDeliverEveryMessageOnceWithOneHop()
    {
        // As above, with several sending tasks racing each other on A's link, so a direct arrival can fail and the
        // message be offered to B (not only queued in the link) after another task switched the link to queueing.
        const int Tasks = 4;
        const int PerTask = 2_000;
        const byte Ttl = 10;
        var a = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await using var _ = a;
        await using var b = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 8 });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 1, SendTtl = Ttl, Linger = TimeSpan.FromMilliseconds(100) });
        await sender.DialAsync(await a.ListenOnAsync("inproc"));
        await sender.DialAsync(await b.ListenOnAsync("inproc"));
        await Wait.UntilAsync(() => sender.PipeCount == 2, "the sender has both pipes");
        await WaitDirectAsync(a);
        await WaitDirectAsync(b);

        var problems = new ConcurrentQueue<string>();
        var seen = new int[Tasks, PerTask];
        void Check(Message message, string where)
        {
            var (task, sequence) = Read(message);
            if (Interlocked.Increment(ref seen[task, sequence]) != 1)
            {
                problems.Enqueue($"{where}: message {task}/{sequence} arrived twice");
            }

            if (message.Source.Count != 1 || message.Ttl != Ttl - 1)
            {
                problems.Enqueue($"{where}: message {task}/{sequence} has source {message.Source} and ttl {message.Ttl}");
            }
        }

        int atB = 0;
        var readingB = Task.Run(async () =>
        {
            await foreach (var message in b.ReceiveAllAsync())
            {
                using (message)
                {
                    Check(message, "B");
                    Interlocked.Increment(ref atB);
                }
            }
        });

        await Wait.ForAsync(
            Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(() => SendNumberedAsync(sender, t, PerTask)))),
            "every send completed");

        // A holds at most its receive queue (1) plus its link's queue (1).
        await Wait.UntilAsync(() => Volatile.Read(ref atB) >= Tasks * PerTask - 2, "B received all but A's share");
        int atA = 0;
        while (Volatile.Read(ref atB) + atA < Tasks * PerTask)
        {
            using var message = await a.ReceiveAsync(Wait.Token());
            Check(message, "A");
            atA++;
        }

        Assert.That(atA, Is.LessThanOrEqualTo(2), "A never took more than its two places");
        await sender.DisposeAsync();
        await Wait.UntilAsync(() => b.PipeCount == 0, "the sender's pipe closes on B");
        await b.DisposeAsync();
        await Wait.ForAsync(readingB, "B's receive loop ends");
        Assert.That(problems, Is.Empty);
        Assert.That(Volatile.Read(ref atB) + atA, Is.EqualTo(Tasks * PerTask), "no message arrived twice");
    }

    [Test]
    public async Task BestEffortDropsBeyondTheReceiveQueueAndTheLinkQueue()
    {
        const int Sends = 20;
        const int ReceiveQueue = 1;
        const int SendQueue = 3;
        await using var server = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = ReceiveQueue, Linger = TimeSpan.FromMilliseconds(100) });
        await using var client = new Socket(new SocketOptions
        {
            NoReceive = true, SendQueueSize = SendQueue, BestEffort = true, Linger = TimeSpan.FromMilliseconds(100),
        });
        await client.DialAsync(await server.ListenOnAsync("inproc"));
        await Wait.UntilAsync(() => client.PipeCount == 1, "the client's pipe is up");
        await WaitDirectAsync(server);

        // Deterministic while nobody reads the server (one pipe, to-one sends, MessageLink.TryWrite):
        //   send 1: direct, into the receive queue (now full);
        //   send 2: its direct arrival fails, so the link leaves direct mode, queues it (1 of 3) and waits for room;
        //   sends 3-4: queued in the link (2, 3 of 3);
        //   sends 5-20: the link's queue is full, TryWrite refuses, and with no other pipe the sender drops.
        for (int i = 0; i < Sends; i++)
        {
            var sent = client.SendAsync(Numbered(0, i));
            Assert.That(sent.IsCompletedSuccessfully, Is.True, $"best-effort send {i} never waits");
            await sent;
        }

        Assert.That(client.Statistics.Dropped, Is.EqualTo(Sends - ReceiveQueue - SendQueue));

        // And the ones kept are the first ones, in order.
        for (int i = 0; i < ReceiveQueue + SendQueue; i++)
        {
            using var message = await server.ReceiveAsync(Wait.Token());
            Assert.That(Read(message).Sequence, Is.EqualTo(i));
        }

        await AssertNothingMoreAsync(server, client);
    }

    [Test]
    public async Task OversizedMessageClosesTheReceivingPipeWhileTheSendSucceeds()
    {
        const int Limit = 100;
        await using var receiver = new Socket(new SocketOptions { NoSend = true });
        var events = new PipeEvents(receiver);
        string address = TestAddress.For("inproc");
        await receiver.ListenAsync($"{address}?MaxRecvContentLength={Limit}");
        await using var bad = new Socket(new SocketOptions { NoReceive = true, Reconnect = false });
        await using var good = new Socket(new SocketOptions { NoReceive = true, Reconnect = false });
        await bad.DialAsync(address);
        await good.DialAsync(address);
        await WaitDirectAsync(receiver, pipes: 2);

        // Learn which receiving pipe is whose.
        await bad.SendAsync("bad");
        await good.SendAsync("good");
        var ids = new Dictionary<string, uint>();
        for (int i = 0; i < 2; i++)
        {
            using var hello = await receiver.ReceiveAsync(Wait.Token());
            ids[hello.ContentAsString()] = hello.PipeId;
        }

        // Exactly at the limit is fine.
        await bad.SendAsync(new byte[Limit]);
        using (var atLimit = await receiver.ReceiveAsync(Wait.Token()))
        {
            Assert.That(atLimit.Length, Is.EqualTo(Limit));
            Assert.That(atLimit.PipeId, Is.EqualTo(ids["bad"]));
        }

        var oversized = bad.SendAsync(new byte[Limit + 1]);
        Assert.That(oversized.IsCompleted, Is.True, "the oversized send does not wait");
        Assert.That(async () => await oversized, Throws.Nothing, "the send itself succeeds");

        var removed = await events.WaitRemovedAsync(ids["bad"]);
        Assert.That(removed.Error, Is.InstanceOf<FrameException>(), $"closed with {removed.Error}");
        Assert.That(((FrameException)removed.Error!).Error, Is.EqualTo(FrameError.ContentTooLong));

        // The other pipe is untouched.
        Assert.That(receiver.PipeIds, Is.EqualTo(new[] { ids["good"] }));
        await good.SendAsync("still here");
        using (var after = await receiver.ReceiveAsync(Wait.Token()))
        {
            Assert.That(after.ContentAsString(), Is.EqualTo("still here"));
            Assert.That(after.PipeId, Is.EqualTo(ids["good"]));
        }

        Assert.That(receiver.TryReceive(out var extra), Is.False, $"the oversized message was not delivered (got {extra})");
    }

    [Test]
    public async Task SharedMessageGivesEachReceiverItsOwnCopy()
    {
        const byte Ttl = 7;
        await using var a = new Socket(new SocketOptions { NoSend = true });
        await using var b = new Socket(new SocketOptions { NoSend = true });
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendTtl = Ttl });
        await sender.DialAsync(await a.ListenOnAsync("inproc"));
        await sender.DialAsync(await b.ListenOnAsync("inproc"));
        await Wait.UntilAsync(() => sender.PipeCount == 2, "the sender has both pipes");
        await WaitDirectAsync(a);
        await WaitDirectAsync(b);

        var content = Enumerable.Range(0, 64).Select(i => (byte)(i + 1)).ToArray();
        await sender.SendAllAsync(content);
        var atA = await a.ReceiveAsync(Wait.Token());
        using var atB = await b.ReceiveAsync(Wait.Token());

        Assert.That(atA, Is.Not.SameAs(atB), "each receiver has its own message object");
        Assert.That(atA.Content.ToArray(), Is.EqualTo(content));
        Assert.That(atB.Content.ToArray(), Is.EqualTo(content));
        Assert.That(atA.Source.Count, Is.EqualTo(1), $"A's copy: {atA.Source}");
        Assert.That(atB.Source.Count, Is.EqualTo(1), $"B's copy: {atB.Source}");
        Assert.That(atA.PipeId, Is.EqualTo(a.PipeIds[0]));
        Assert.That(atB.PipeId, Is.EqualTo(b.PipeIds[0]));
        Assert.That(atA.Ttl, Is.EqualTo(Ttl - 1));
        Assert.That(atB.Ttl, Is.EqualTo(Ttl - 1));

        // Disposing A's copy returns it (and its buffer) to the pools; reuse them with other bytes of the same size.
        atA.Dispose();
        var other = new byte[content.Length];
        Array.Fill(other, (byte)0xEE);
        for (int i = 0; i < 8; i++)
        {
            Message.Create(other).Dispose();
        }

        await sender.SendAllAsync(other);
        using (var nextAtA = await a.ReceiveAsync(Wait.Token()))
        using (var nextAtB = await b.ReceiveAsync(Wait.Token()))
        {
            Assert.That(nextAtA.Content.ToArray(), Is.EqualTo(other));
            Assert.That(nextAtB.Content.ToArray(), Is.EqualTo(other));
        }

        Assert.That(atB.Content.ToArray(), Is.EqualTo(content), "B's copy is unaffected by A's disposal");
        Assert.That(atB.Source.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task DisposingTheReceiverReleasesASendBlockedOnItsFullQueues()
    {
        var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await using var _ = receiver;
        await using var next = new Socket(new SocketOptions { NoSend = true });
        await using var sender = new Socket(new SocketOptions
        {
            NoReceive = true, SendQueueSize = 1, Reconnect = false, Linger = TimeSpan.FromMilliseconds(100),
        });
        var blocked = await BlockTheThirdSendAsync(receiver, sender);

        await Wait.ForAsync(receiver.DisposeAsync().AsTask(), "the receiving socket is disposed");
        await Wait.UntilAsync(() => sender.PipeCount == 0, "the sender's pipe closes");

        // As when any pipe closes under waiting sends (SendBackpressureTests): the send is released, not failed, and
        // moves on to the next pipe.
        Assert.That(blocked.IsFaulted, Is.False, $"the blocked send was not failed ({blocked.Exception?.InnerException})");
        await sender.DialAsync(await next.ListenOnAsync("inproc"));
        await Wait.ForAsync(blocked, "the released send completes on the new pipe");
        using var message = await next.ReceiveAsync(Wait.Token());
        Assert.That(Read(message).Sequence, Is.EqualTo(2));
    }

    [Test]
    public async Task DisposingBothSocketsEndsASendBlockedOnAFullReceiver()
    {
        var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await using var _ = receiver;
        var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await using var __ = sender;
        var blocked = await BlockTheThirdSendAsync(receiver, sender);

        await Wait.ForAsync(receiver.DisposeAsync().AsTask(), "the receiving socket is disposed");
        await Wait.ForAsync(sender.DisposeAsync().AsTask(), "the sending socket is disposed");

        // No hang, and no other outcome than completing or ObjectDisposedException (SocketFlowControlTests).
        var outcome = await Task.WhenAny(blocked, Task.Delay(Wait.Timeout));
        Assert.That(outcome, Is.SameAs(blocked), "the blocked send ended");
        Assert.That(
            blocked.IsCompletedSuccessfully || blocked.Exception?.InnerException is ObjectDisposedException,
            Is.True,
            $"ended with {blocked.Exception?.InnerException}");
    }
}
