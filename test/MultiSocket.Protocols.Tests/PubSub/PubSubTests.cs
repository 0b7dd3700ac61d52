using System.Text;
using MultiSocket.Testing;
using static MultiSocket.Protocols.Tests.SubscriberTestExtensions;

namespace MultiSocket.Protocols.Tests;

[CancelAfter(30_000)]
public class PubSubTests
{
    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task FourSubscribersWithDifferentPrefixesEachGetExactlyTheirMessages(string transport, CancellationToken ct)
    {
        await using var pub = new PublisherSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        string[] prefixes = ["news.", "sport.", "news.tech.", ""];
        var subs = new List<SubscriberSocket>();
        try
        {
            foreach (var prefix in prefixes)
            {
                var sub = new SubscriberSocket();
                subs.Add(sub);
                Assert.That(sub.Subscribe(prefix), Is.True);
                await sub.DialAsync(address, ct);
            }

            await Wait.UntilAsync(() => pub.SubscriptionCount == 4, "publisher learns the 4 subscriptions");
            string[] topics = ["news.", "sport.", "news.tech.", "weather."];

            // Publishing never waits, so a burst larger than a pipe's send queue (64) would drop; 60 fit.
            var published = Enumerable.Range(0, 60).Select(i => $"{topics[i % topics.Length]}{i}").ToList();
            var expected = prefixes.Select(p => published.Where(t => t.StartsWith(p, StringComparison.Ordinal)).ToList()).ToList();
            var receiving = subs.Select((sub, s) => ReceiveTextsAsync(sub, expected[s].Count, ct)).ToList();
            foreach (var text in published)
            {
                await pub.PublishAsync(Utf8(text), ct);
            }

            for (int s = 0; s < subs.Count; s++)
            {
                var got = await Wait.ForAsync(receiving[s], $"subscriber '{prefixes[s]}': {expected[s].Count} messages (received {subs[s].Received}, filtered {subs[s].Filtered}, publisher sent {pub.Sent}, dropped {pub.Dropped})");
                Assert.That(got, Is.EqualTo(expected[s]), $"subscriber '{prefixes[s]}'");
                Assert.That(subs[s].Filtered, Is.Zero, "the publisher sent only matching messages");
            }

            long expectedSends = expected.Sum(e => e.Count);

            // Exactly one send per matching (message, subscriber): unmatched messages never went over the network.
            Assert.That(pub.Sent, Is.EqualTo(expectedSends));
            Assert.That(pub.Dropped, Is.Zero);
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
    public async Task UnsubscribeStopsDelivery(string transport, CancellationToken ct)
    {
        await using var pub = new PublisherSocket();
        await using var sub = new SubscriberSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        await sub.DialAsync(address, ct);
        sub.Subscribe("x");
        sub.Subscribe("y");
        await Wait.UntilAsync(() => pub.SubscriptionCount == 2, "two subscriptions");

        await pub.PublishAsync(Utf8("x1"), ct);
        await pub.PublishAsync(Utf8("y1"), ct);
        Assert.That(await ReceiveTextsAsync(sub, 2, ct), Is.EqualTo(new[] { "x1", "y1" }));

        Assert.That(sub.Unsubscribe("x"), Is.True);
        Assert.That(sub.Unsubscribe("x"), Is.False);
        await Wait.UntilAsync(() => pub.SubscriptionCount == 1, "the publisher learns of the unsubscribe");
        await pub.PublishAsync(Utf8("x2"), ct);
        await pub.PublishAsync(Utf8("y2"), ct);
        Assert.That(await ReceiveTextsAsync(sub, 1, ct), Is.EqualTo(new[] { "y2" }));
        Assert.That(sub.Received, Is.EqualTo(3), "x2 was not sent at all");
        Assert.That(pub.Sent, Is.EqualTo(3));
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task TryReceiveTakesArrivedMatchesAndDiscardsWhatNoLongerMatches(string transport, CancellationToken ct)
    {
        await using var pub = new PublisherSocket();
        var sub = new SubscriberSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        await sub.DialAsync(address, ct);
        Assert.That(sub.TryReceive(out var none), Is.False);
        Assert.That(none, Is.Null);
        sub.Subscribe("x");
        sub.Subscribe("y");
        await Wait.UntilAsync(() => pub.SubscriptionCount == 2, "two subscriptions");

        // Queued by the publisher before the subscriber drops "x": x2 arrives, and only the local filter stops it.
        await pub.PublishAsync(Utf8("x1"), ct);
        await pub.PublishAsync(Utf8("x2"), ct);
        await pub.PublishAsync(Utf8("y2"), ct);
        Message? first = null;
        await Wait.UntilAsync(() => sub.TryReceive(out first), "x1 arrives");
        using (first)
        {
            Assert.That(first!.ContentAsString(), Is.EqualTo("x1"));
        }

        Assert.That(sub.Unsubscribe("x"), Is.True);
        Message? second = null;
        await Wait.UntilAsync(() => sub.TryReceive(out second), "y2 arrives");
        using (second)
        {
            Assert.That(second!.ContentAsString(), Is.EqualTo("y2"));
        }

        Assert.That(sub.Filtered, Is.EqualTo(1), "x2 was discarded on the way to y2");
        Assert.That(sub.Received, Is.EqualTo(3));
        Assert.That(sub.TryReceive(out _), Is.False);

        await sub.DisposeAsync();
        Assert.That(() => sub.TryReceive(out _), Throws.InstanceOf<ObjectDisposedException>());
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task NoSubscriptionReceivesNothingAndTheEmptyPrefixReceivesEverything(string transport, CancellationToken ct)
    {
        await using var pub = new PublisherSocket();
        await using var none = new SubscriberSocket();
        await using var all = new SubscriberSocket();
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        await none.DialAsync(address, ct);
        await all.DialAsync(address, ct);
        all.Subscribe(ReadOnlySpan<byte>.Empty);
        await Wait.UntilAsync(() => pub.SubscriberCount == 1, "one subscriber");

        await pub.PublishAsync(Utf8("m1"), ct);
        await pub.PublishAsync(ReadOnlyMemory<byte>.Empty, ct);
        Assert.That(await ReceiveTextsAsync(all, 2, ct), Is.EqualTo(new[] { "m1", "" }));
        Assert.That(pub.Sent, Is.EqualTo(2));
        Assert.That(none.Received, Is.Zero);
        Assert.That(none.TryReceiveForTest(), Is.False);
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task SubscriptionsMadeBeforeConnectingReachPublishersThatComeLater(string transport, CancellationToken ct)
    {
        await using var sub = new SubscriberSocket();
        sub.Subscribe("early");
        sub.Subscribe("gone");
        sub.Unsubscribe("gone");
        var address = (await sub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        await using var pub1 = new PublisherSocket();
        await using var pub2 = new PublisherSocket();
        await pub1.DialAsync(address, ct);
        await pub2.DialAsync(address, ct);
        await Wait.UntilAsync(() => pub1.SubscriptionCount == 1 && pub2.SubscriptionCount == 1, "both publishers learn the set");

        await pub1.PublishAsync(Utf8("gone1"), ct);
        await pub1.PublishAsync(Utf8("early1"), ct);
        await pub2.PublishAsync(Utf8("early2"), ct);
        var got = await ReceiveTextsAsync(sub, 2, ct);
        Assert.That(got, Is.EquivalentTo(new[] { "early1", "early2" }));
        Assert.That(pub1.Sent + pub2.Sent, Is.EqualTo(2));
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task PublishersEndWithTheSubscribersSetWhileChangesRaceWithNewConnections(string transport, CancellationToken ct)
    {
        await using var sub = new SubscriberSocket();
        var address = (await sub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        var publishers = Enumerable.Range(0, 3).Select(_ => new PublisherSocket()).ToArray();
        try
        {
            // Subscribe and unsubscribe from two tasks while the publishers connect one after another.
            var churn = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < 200; i++)
                {
                    string prefix = $"t{t}-p{i % 20}";
                    if (i % 3 == 2)
                    {
                        sub.Unsubscribe(prefix);
                    }
                    else
                    {
                        sub.Subscribe(prefix);
                    }
                }
            }, ct)).ToList();
            foreach (var pub in publishers)
            {
                await pub.DialAsync(address, ct);
            }

            await Task.WhenAll(churn);

            // One last change marks the end: a publisher applies a subscriber's changes in the order they were made,
            // so one that knows the marker has applied everything before it, and must hold exactly the final set. (A
            // wait for the set's size alone passed while changes were still on their way: a subscribe applied, the
            // unsubscribe made before it not yet, and a message published then found no subscriber.)
            Assert.That(sub.Subscribe("last"), Is.True);
            await Wait.UntilAsync(
                () => publishers.All(p => p.KnownPrefixes.Any(k => k.AsSpan().SequenceEqual("last"u8))),
                "every publisher learns the last change");
            var finalPrefixes = sub.Subscriptions.Select(p => Encoding.UTF8.GetString(p)).ToList();
            Assert.That(finalPrefixes, Has.Count.GreaterThan(1));
            foreach (var pub in publishers)
            {
                Assert.That(pub.KnownPrefixes.Select(Encoding.UTF8.GetString), Is.EquivalentTo(finalPrefixes));
                Assert.That(pub.SubscriptionCount, Is.EqualTo(finalPrefixes.Count));
            }

            // And they act on it: one message per final prefix reaches the subscriber, nothing else does.
            await publishers[0].PublishAsync(Utf8("unsubscribed-topic"), ct);
            foreach (var prefix in finalPrefixes)
            {
                await publishers[1].PublishAsync(Utf8(prefix + "!"), ct);
            }

            var got = await ReceiveTextsAsync(sub, finalPrefixes.Count, ct);
            Assert.That(got, Is.EquivalentTo(finalPrefixes.Select(p => p + "!")));
            Assert.That(publishers[0].Sent, Is.Zero);
        }
        finally
        {
            foreach (var pub in publishers)
            {
                await pub.DisposeAsync();
            }
        }
    }

    // 16 KiB messages are queued to each subscriber; 512-byte ones (frames up to 768 bytes with the default send queue)
    // a fan-out to all logs once for the tcp, ipc and ws pipes, which then lose what the log overwrites before they copy
    // it (inproc pipes queue either size).
    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public Task AStalledSubscriberDoesNotSlowThePublisherOrTheOthers(string transport, CancellationToken ct) =>
        StalledSubscriberAsync(transport, 16 * 1024, ct);

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public Task AStalledSubscriberOfLoggedMessagesDoesNotSlowThePublisherOrTheOthers(string transport, CancellationToken ct) =>
        StalledSubscriberAsync(transport, 512, ct);

    private static async Task StalledSubscriberAsync(string transport, int size, CancellationToken ct)
    {
        // Small kernel buffers (on both ends) and queues so the stalled subscriber's pipe fills after a few MB at most.
        var small = new TransportOptionsFor(SendBufferSize: 16 * 1024, ReceiveBufferSize: 16 * 1024);
        await using var pub = new PublisherSocket(new SocketOptions { Linger = TimeSpan.Zero, Transport = small.Options });
        await using var stalled = new SubscriberSocket(new SocketOptions { Linger = TimeSpan.Zero, ReceiveQueueSize = 1, Transport = small.Options });
        await using var fast1 = new SubscriberSocket(new SocketOptions { Linger = TimeSpan.Zero });
        await using var fast2 = new SubscriberSocket(new SocketOptions { Linger = TimeSpan.Zero });
        var address = (await pub.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        foreach (var sub in new[] { stalled, fast1, fast2 })
        {
            sub.Subscribe("");
            await sub.DialAsync(address, ct);
        }

        await Wait.UntilAsync(() => pub.SubscriberCount == 3, "three subscribers");
        int received1 = 0, received2 = 0;
        var reader1 = CountAsync(fast1, () => Interlocked.Increment(ref received1), ct);
        var reader2 = CountAsync(fast2, () => Interlocked.Increment(ref received2), ct);

        // Publish until the stalled subscriber's buffers (queues, pipes, kernel) are full and drops begin, then one more
        // batch; the cap only turns a bug into a failure instead of a hang.
        const int Batch = 32;   // below the send queue size (64): a fast subscriber's queue never fills
        const int Cap = 8192;
        var payload = new byte[size];
        int total = 0;
        long dropsSeenAt = -1;
        while (dropsSeenAt < 0 || total < dropsSeenAt + Batch)
        {
            Assert.That(total, Is.LessThan(Cap), "the stalled subscriber never caused a drop");
            for (int i = 0; i < Batch; i++)
            {
                payload[0] = (byte)total++;
                await pub.PublishAsync(payload, ct);
            }

            // Pace on the fast subscribers only: the stalled one never reads.
            int sent = total;
            await Wait.UntilAsync(() => Volatile.Read(ref received1) == sent && Volatile.Read(ref received2) == sent, $"fast subscribers at {sent}");
            if (dropsSeenAt < 0 && pub.Dropped > 0)
            {
                dropsSeenAt = total;
            }
        }

        Assert.That(received1, Is.EqualTo(total));
        Assert.That(received2, Is.EqualTo(total));
        Assert.That(pub.Dropped, Is.GreaterThan(0), "the stalled subscriber's messages were dropped");
        Assert.That(pub.Sent + pub.Dropped, Is.EqualTo(3L * total));
        Assert.That(pub.Sent, Is.GreaterThanOrEqualTo(2L * total), "no drop for the fast subscribers");
        Assert.That(pub.Socket.Statistics.Dropped, Is.EqualTo(pub.Dropped));
        Assert.That(stalled.Received, Is.Zero);
        bool logged = size <= 512 && transport != "inproc";
        Assert.That(pub.LoggedCount, Is.EqualTo(logged ? total : 0), "the path taken");

        // Per pipe: the fast ones sent everything, the stalled one's sends and drops add up to what it matched.
        var counters = pub.Socket.PipeIds.Select(pub.GetPipeCounters).OrderBy(c => c.Dropped).ToList();
        Assert.That(counters, Has.Count.EqualTo(3));
        Assert.That(counters[0], Is.EqualTo(((long)total, 0L)));
        Assert.That(counters[1], Is.EqualTo(((long)total, 0L)));
        Assert.That(counters[2].Sent + counters[2].Dropped, Is.EqualTo(total));
        Assert.That(counters[2].Dropped, Is.GreaterThan(0));
    }

    private static Task CountAsync(SubscriberSocket sub, Action onMessage, CancellationToken ct) => Task.Run(async () =>
    {
        await foreach (var message in sub.ReceiveAllAsync(ct))
        {
            message.Dispose();
            onMessage();
        }
    }, ct);

    private sealed record TransportOptionsFor(int SendBufferSize, int ReceiveBufferSize)
    {
        public MultiSocket.Transport.TransportOptions Options =>
            MultiSocket.Transport.TransportOptions.Default with { SendBufferSize = SendBufferSize, ReceiveBufferSize = ReceiveBufferSize };
    }
}

internal static class SubscriberTestExtensions
{
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Receives <paramref name="count"/> messages and returns their contents as text.</summary>
    public static async Task<List<string>> ReceiveTextsAsync(SubscriberSocket sub, int count, CancellationToken ct)
    {
        var texts = new List<string>();
        while (texts.Count < count)
        {
            using var message = await sub.ReceiveAsync(ct);
            texts.Add(message.ContentAsString());
        }

        return texts;
    }

    /// <summary>True when a message is waiting on the underlying socket (matching or not).</summary>
    public static bool TryReceiveForTest(this SubscriberSocket sub)
    {
        if (sub.Socket.TryReceive(out var message))
        {
            message.Dispose();
            return true;
        }

        return false;
    }
}
