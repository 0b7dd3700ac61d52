using MultiSocket.Testing;
using static MultiSocket.Protocols.Tests.SubscriberTestExtensions;

namespace MultiSocket.Protocols.Tests;

/// <summary>
/// The publisher's log: a message every tcp, ipc or ws subscriber wants is encoded once and copied by their pipes;
/// others are queued per pipe. What a subscriber gets, and in which order, must not depend on the path.
/// </summary>
[CancelAfter(30_000)]
public class PublishLogPathTests
{
    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task LoggedAndQueuedMessagesArriveInTheOrderPublished(string transport, CancellationToken ct)
    {
        await using var pub = new PublisherSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        string[] prefixes = ["", "", "x."];
        var subs = prefixes.Select(_ => new SubscriberSocket()).ToList();
        try
        {
            for (int s = 0; s < subs.Count; s++)
            {
                subs[s].Subscribe(prefixes[s]);
                await subs[s].DialAsync(address, ct);
            }

            await Wait.UntilAsync(() => pub.SubscriberCount == 3, "three subscribers");
            Assert.That(pub.LogReaderCount, Is.EqualTo(transport == "inproc" ? 0 : 3), "stream pipes read the log");

            // "x." messages every subscriber wants (logged), "y." ones only the first two (queued after the log's frames
            // so far), interleaved irregularly; a burst within the send queue (64), so nothing is dropped.
            var published = Enumerable.Range(0, 60).Select(i => (i % 7 is 1 or 2 or 5 ? "y." : "x.") + i).ToList();
            var expected = prefixes.Select(p => published.Where(t => t.StartsWith(p, StringComparison.Ordinal)).ToList()).ToList();
            var receiving = subs.Select((sub, s) => ReceiveTextsAsync(sub, expected[s].Count, ct)).ToList();
            foreach (var text in published)
            {
                await pub.PublishAsync(Utf8(text), ct);
            }

            for (int s = 0; s < subs.Count; s++)
            {
                Assert.That(await Wait.ForAsync(receiving[s], $"subscriber {s}"), Is.EqualTo(expected[s]), $"subscriber {s}");
                Assert.That(subs[s].Filtered, Is.Zero, "the publisher sent only matching messages");
            }

            Assert.That(pub.Sent, Is.EqualTo(expected.Sum(e => e.Count)));
            Assert.That(pub.Dropped, Is.Zero);
            var perPipe = pub.Socket.PipeIds.Select(pub.GetPipeCounters).Select(c => c.Sent).Order();
            Assert.That(perPipe, Is.EqualTo(expected.Select(e => (long)e.Count).Order()), "each pipe's count, logged or queued");
        }
        finally
        {
            foreach (var sub in subs)
            {
                await sub.DisposeAsync();
            }
        }
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ASubscriberJoiningWhileOthersAreFedFromTheLogGetsOnlyItsMatches(string transport, CancellationToken ct)
    {
        await using var pub = new PublisherSocket();
        await using var everything = new SubscriberSocket();
        await using var late = new SubscriberSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        everything.Subscribe("");
        await everything.DialAsync(address, ct);
        await Wait.UntilAsync(() => pub.SubscriberCount == 1, "the first subscriber");
        long drained = 0;
        var draining = Task.Run(async () =>
        {
            await foreach (var message in everything.ReceiveAllAsync(ct))
            {
                message.Dispose();
                Interlocked.Increment(ref drained);
            }
        }, ct);

        // "b." messages go through the log while the late subscriber ("a.") joins: a publish that chose the log for the
        // readers it knew must not log for one added meanwhile.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var publishing = Task.Run(async () =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                await pub.PublishAsync(Utf8("b." + i++), ct);
                if (i % 64 == 0)
                {
                    await Task.Yield();
                }
            }
        }, ct);
        late.Subscribe("a.");
        await late.DialAsync(address, ct);
        await Wait.UntilAsync(() => pub.SubscriberCount == 2, "the late subscriber");
        await pub.PublishAsync(Utf8("a.first"), ct);
        await stop.CancelAsync();
        await publishing;
        await pub.PublishAsync(Utf8("a.last"), ct);

        Assert.That(await ReceiveTextsAsync(late, 2, ct), Is.EqualTo(new[] { "a.first", "a.last" }));
        Assert.That(late.Filtered, Is.Zero, "no \"b.\" message reached the late subscriber");
        await Wait.UntilAsync(() => Interlocked.Read(ref drained) > 0, "the first subscriber receives");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task AReaderThatUnsubscribesFromEverythingGetsNothingUntilItSubscribesAgain(string transport, CancellationToken ct)
    {
        await using var pub = new PublisherSocket();
        await using var stays = new SubscriberSocket();
        await using var leaves = new SubscriberSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        foreach (var sub in new[] { stays, leaves })
        {
            sub.Subscribe("");
            await sub.DialAsync(address, ct);
        }

        await Wait.UntilAsync(() => pub.SubscriberCount == 2, "two subscribers");
        await pub.PublishAsync(Utf8("m0"), ct);
        Assert.That(await ReceiveTextsAsync(leaves, 1, ct), Is.EqualTo(new[] { "m0" }));

        leaves.Unsubscribe("");
        await Wait.UntilAsync(() => pub.SubscriberCount == 1, "the unsubscribe");
        for (int i = 1; i <= 10; i++)
        {
            await pub.PublishAsync(Utf8("m" + i), ct);
        }

        Assert.That(await ReceiveTextsAsync(stays, 11, ct), Is.EqualTo(Enumerable.Range(0, 11).Select(i => "m" + i)));
        leaves.Subscribe("z.");
        await Wait.UntilAsync(() => pub.SubscriptionCount == 2, "the new subscription");
        await pub.PublishAsync(Utf8("z.1"), ct);
        Assert.That(await ReceiveTextsAsync(leaves, 1, ct), Is.EqualTo(new[] { "z.1" }));
        Assert.That(leaves.Filtered, Is.Zero, "m1-m10 were not sent to it");
        Assert.That(pub.Sent, Is.EqualTo(2 + 10 + 2), "m0 to both, m1-m10 to one, z.1 to both");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ConcurrentPublishersAndSubscriberChurnKeepEachTasksOrder(string transport, CancellationToken ct)
    {
        // Four tasks publish at once ("" and "a." subscribers, so some publishes are logged and some queued) while one
        // subscriber after another joins and leaves. Every subscriber must see each task's messages in the order that
        // task published them (drops allowed), and only messages it matched.
        await using var pub = new PublisherSocket(new SocketOptions { Linger = TimeSpan.Zero });
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        var steady = new[] { new SubscriberSocket(), new SubscriberSocket() };
        steady[0].Subscribe("");
        steady[1].Subscribe("a.");
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        try
        {
            foreach (var sub in steady)
            {
                await sub.DialAsync(address, ct);
            }

            await Wait.UntilAsync(() => pub.SubscriberCount == 2, "two subscribers");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var checking = steady.Select((sub, k) => CheckOrderAsync(sub, failures, stop.Token, "steady" + k)).ToList();
            var publishing = Enumerable.Range(0, 4).Select(task => Task.Run(async () =>
            {
                for (int i = 0; i < 20_000; i++)
                {
                    await pub.PublishAsync(Utf8($"{(i % 3 == 0 ? "b." : "a.")}{task}:{i}"), ct);
                    if (i % 256 == 0)
                    {
                        await Task.Yield();
                    }
                }
            }, ct)).ToList();

            // Churn: subscribers join and leave while the tasks publish.
            while (!publishing.All(t => t.IsCompleted))
            {
                await using var passing = new SubscriberSocket(new SocketOptions { Linger = TimeSpan.Zero });
                passing.Subscribe("a.");
                await passing.DialAsync(address, ct);
                var passingCheck = CheckOrderAsync(passing, failures, ct, "passing");
                await Wait.UntilAsync(() => passing.Received > 0 || publishing.All(t => t.IsCompleted), "the passing subscriber receives");
                await passing.DisposeAsync();
                await passingCheck;
            }

            await Task.WhenAll(publishing);

            // The publisher still reaches both steady subscribers afterwards.
            await stop.CancelAsync();
            await Task.WhenAll(checking);
            await Wait.UntilAsync(() => pub.SubscriberCount == 2, "only the steady subscribers");

            // Their queues may be full of what nobody read since: drain, publishing the end marker until it arrives
            // (a publish to a full queue drops).
            foreach (var sub in steady)
            {
                await Wait.UntilAsync(
                    () =>
                    {
                        // Publishing never waits: the returned task is already complete.
                        pub.PublishAsync(Utf8("a.end"), ct).GetAwaiter().GetResult();
                        while (sub.TryReceive(out var message))
                        {
                            using (message)
                            {
                                if (message.ContentAsString() == "a.end")
                                {
                                    return true;
                                }
                            }
                        }

                        return false;
                    },
                    "the end marker after the run");
            }

            Assert.That(failures, Is.Empty);
            Assert.That(steady[1].Filtered, Is.Zero, "no \"b.\" message reached the \"a.\" subscriber");
        }
        finally
        {
            foreach (var sub in steady)
            {
                await sub.DisposeAsync();
            }
        }
    }

    // Receives until cancelled or the socket closes, recording any message of a task that is not after that task's last.
    private static Task CheckOrderAsync(SubscriberSocket sub, System.Collections.Concurrent.ConcurrentQueue<string> failures, CancellationToken ct, string who) =>
        Task.Run(async () =>
        {
            var last = new int[4];
            Array.Fill(last, -1);
            try
            {
                await foreach (var message in sub.ReceiveAllAsync(ct))
                {
                    using (message)
                    {
                        string text = message.ContentAsString();
                        var parts = text[2..].Split(':');
                        int task = int.Parse(parts[0]);
                        int seq = int.Parse(parts[1]);
                        if (seq <= last[task])
                        {
                            failures.Enqueue($"{who} task {task}: {text} after {last[task]}");
                        }

                        last[task] = seq;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }, CancellationToken.None);

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task DisposingThePublisherRightAfterPublishingStillDeliversWhatItLogged(string transport, CancellationToken ct)
    {
        await using var first = new SubscriberSocket();
        await using var second = new SubscriberSocket();
        var pub = new PublisherSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        foreach (var sub in new[] { first, second })
        {
            sub.Subscribe("");
            await sub.DialAsync(address, ct);
        }

        await Wait.UntilAsync(() => pub.SubscriberCount == 2, "two subscribers");
        var published = Enumerable.Range(0, 100).Select(i => "m" + i).ToList();
        foreach (var text in published)
        {
            await pub.PublishAsync(Utf8(text), ct);
        }

        Assert.That(pub.LoggedCount, Is.EqualTo(transport == "inproc" ? 0 : published.Count));
        await pub.DisposeAsync();
        Assert.That(await ReceiveTextsAsync(first, published.Count, ct), Is.EqualTo(published));
        Assert.That(await ReceiveTextsAsync(second, published.Count, ct), Is.EqualTo(published));
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ABestEffortSendToAllOnThePublishersSocketStillReachesEverySubscriber(string transport, CancellationToken ct)
    {
        // The subscriber's pipe reads the publisher's log, the idle one's the core socket's (it has no subscription, so
        // no publisher log): the core socket's send to all must queue to the first, not take it for one of its readers.
        await using var pub = new PublisherSocket(new SocketOptions { BestEffort = true });
        await using var sub = new SubscriberSocket();
        await using var idle = new SubscriberSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        sub.Subscribe("");
        await sub.DialAsync(address, ct);
        await idle.DialAsync(address, ct);
        await Wait.UntilAsync(() => pub.SubscriberCount == 1 && pub.Socket.PipeCount == 2, "both subscribers");

        await pub.PublishAsync(Utf8("one"), ct);
        await pub.Socket.SendAllAsync(Utf8("two"), ct);
        await pub.PublishAsync(Utf8("three"), ct);
        Assert.That(await ReceiveTextsAsync(sub, 3, ct), Is.EqualTo(new[] { "one", "two", "three" }));
    }
}
