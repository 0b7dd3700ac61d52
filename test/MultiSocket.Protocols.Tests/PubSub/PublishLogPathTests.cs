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
