using System.Collections.Concurrent;
using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Protocols.Tests;

[CancelAfter(20_000)]
public class ReqRepTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Answers every request with "re:" + its content, from <paramref name="loops"/> concurrent loops.</summary>
    private static Task[] Echo(ReplySocket rep, int loops = 2) =>
        Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
        {
            await foreach (var request in rep.ReceiveRequestsAsync())
            {
                using (request)
                {
                    await request.ReplyAsync(Utf8("re:" + request.ContentAsString()));
                }
            }
        })).ToArray();

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ThousandConcurrentRequestsFromTenTasksEachGetTheirOwnReply(string transport, CancellationToken ct)
    {
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket();
        var listener = await rep.ListenAsync(TestAddress.For(transport), ct);
        await req.DialAsync(listener.BoundAddress, ct);
        _ = Echo(rep, loops: 3);

        // Ten tasks each put 100 requests in flight at once: up to 1,000 wait for their replies together.
        var tasks = Enumerable.Range(0, 10).Select(t => Task.Run(async () =>
        {
            var requests = Enumerable.Range(0, 100).Select(async i =>
            {
                string mine = $"task{t}-req{i}";
                using var reply = await req.RequestAsync(Utf8(mine), ct);
                string got = reply.ContentAsString();
                return got == "re:" + mine ? null : $"{mine} got {got}";
            }).ToArray();
            var outcomes = await Task.WhenAll(requests);
            return outcomes.Where(o => o is not null).ToList();
        }, ct)).ToArray();

        var results = await Wait.ForAsync(Task.WhenAll(tasks), "1,000 requests");
        Assert.That(results.SelectMany(r => r), Is.Empty);
        Assert.That(req.PendingCount, Is.Zero);
        Assert.That(req.Discarded, Is.Zero);
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task RepliesInAnyOrderReachTheirRequests(string transport, CancellationToken ct)
    {
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket();
        var listener = await rep.ListenAsync(TestAddress.For(transport), ct);
        await req.DialAsync(listener.BoundAddress, ct);

        var first = req.RequestAsync(Utf8("first"), ct);
        var second = req.RequestAsync(Utf8("second"), ct);
        using var a = await rep.ReceiveRequestAsync(ct);
        using var b = await rep.ReceiveRequestAsync(ct);

        // Answer in reverse order of arrival.
        await b.ReplyAsync(Utf8("to:" + b.ContentAsString()), ct);
        await a.ReplyAsync(Utf8("to:" + a.ContentAsString()), ct);

        using var r1 = await first;
        using var r2 = await second;
        Assert.That(r1.ContentAsString(), Is.EqualTo("to:first"));
        Assert.That(r2.ContentAsString(), Is.EqualTo("to:second"));
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task RequestTimesOutWhenNoReplierAnswers(string transport, CancellationToken ct)
    {
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket(requestOptions: new RequestOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        var listener = await rep.ListenAsync(TestAddress.For(transport), ct);
        await req.DialAsync(listener.BoundAddress, ct);

        var ex = Assert.ThrowsAsync<TimeoutException>(async () => await req.RequestAsync(Utf8("anyone?"), ct));
        Assert.That(ex!.Message, Does.Contain("200"));
        Assert.That(req.PendingCount, Is.Zero);

        // The request did reach the replier; an answer now comes too late and is discarded.
        using var late = await rep.ReceiveRequestAsync(ct);
        await late.ReplyAsync(Utf8("too late"), ct);
        await Wait.UntilAsync(() => req.Discarded == 1, "late reply discarded");
    }

    [Test]
    public async Task RequestTimesOutWhenNoPeerIsConnected()
    {
        await using var req = new RequestSocket(requestOptions: new RequestOptions { Timeout = TimeSpan.FromMilliseconds(100) });
        Assert.ThrowsAsync<TimeoutException>(async () => await req.RequestAsync(Utf8("nobody")));
        Assert.That(req.PendingCount, Is.Zero);
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task CancellationEndsAWaitingRequest(string transport, CancellationToken ct)
    {
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket();
        var listener = await rep.ListenAsync(TestAddress.For(transport), ct);
        await req.DialAsync(listener.BoundAddress, ct);

        using var cancel = new CancellationTokenSource();
        var pending = req.RequestAsync(Utf8("cancel me"), cancel.Token);
        using var received = await rep.ReceiveRequestAsync(ct);
        Assert.That(pending.IsCompleted, Is.False);
        await cancel.CancelAsync();

        Assert.That(async () => await pending, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(req.PendingCount, Is.Zero);
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ResendGetsAnAnswerWhenTheFirstAttemptIsLostAndTheDuplicateReplyIsDiscarded(string transport, CancellationToken ct)
    {
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket(requestOptions: new RequestOptions { ResendInterval = TimeSpan.FromMilliseconds(100) });
        var listener = await rep.ListenAsync(TestAddress.For(transport), ct);
        await req.DialAsync(listener.BoundAddress, ct);

        var pending = req.RequestAsync(Utf8("again"), ct);
        using var firstAttempt = await rep.ReceiveRequestAsync(ct);   // "lost": not answered for now
        using var secondAttempt = await rep.ReceiveRequestAsync(ct);
        Assert.That(secondAttempt.Id, Is.EqualTo(firstAttempt.Id));
        Assert.That(secondAttempt.ContentAsString(), Is.EqualTo("again"));
        await secondAttempt.ReplyAsync(Utf8("answered"), ct);

        using var reply = await pending;
        Assert.That(reply.ContentAsString(), Is.EqualTo("answered"));

        await firstAttempt.ReplyAsync(Utf8("duplicate"), ct);
        await Wait.UntilAsync(() => req.Discarded == 1, "duplicate reply discarded");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ResendMovesToAnotherReplierWhenTheFirstOneIsSilent(string transport, CancellationToken ct)
    {
        await using var silent = new ReplySocket();
        await using var helpful = new ReplySocket();
        await using var req = new RequestSocket(requestOptions: new RequestOptions { ResendInterval = TimeSpan.FromMilliseconds(100) });
        var l1 = await silent.ListenAsync(TestAddress.For(transport), ct);
        var l2 = await helpful.ListenAsync(TestAddress.For(transport), ct);
        await req.DialAsync(l1.BoundAddress, ct);
        await req.DialAsync(l2.BoundAddress, ct);
        _ = Echo(helpful, loops: 1);
        int ignored = 0;
        _ = Task.Run(async () =>
        {
            await foreach (var request in silent.ReceiveRequestsAsync())
            {
                Interlocked.Increment(ref ignored);
                request.Dispose();
            }
        }, ct);

        // Round robin over two pipes sends some of these to the silent replier first; only resends can answer them.
        var replies = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => req.RequestAsync(Utf8($"who{i}"), ct).AsTask()));
        Assert.That(replies.Select(r => r.ContentAsString()), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"re:who{i}")));
        Assert.That(Volatile.Read(ref ignored), Is.GreaterThan(0));
        foreach (var reply in replies)
        {
            reply.Dispose();
        }
    }

    [Test]
    public async Task RequestStateIsReusedSafelyAcrossTimeoutsCancellationsAndReplies(CancellationToken ct)
    {
        // Request state is pooled: a request that timed out or was cancelled leaves nothing behind for the next one
        // (a fired time limit, a stale resend timer, a late reply).
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket(requestOptions: new RequestOptions
        {
            Timeout = TimeSpan.FromMilliseconds(500), ResendInterval = TimeSpan.FromMilliseconds(60),
        });
        var listener = await rep.ListenAsync(TestAddress.For("inproc"), ct);
        await req.DialAsync(listener.BoundAddress, ct);
        var late = new ConcurrentQueue<Request>();
        _ = Task.Run(async () =>
        {
            await foreach (var request in rep.ReceiveRequestsAsync(ct))
            {
                if (request.ContentAsString().StartsWith("answer", StringComparison.Ordinal))
                {
                    using (request)
                    {
                        await request.ReplyAsync(Utf8("re:" + request.ContentAsString()), ct);
                    }
                }
                else
                {
                    late.Enqueue(request);   // answered later, after its request is over
                }
            }
        }, ct);

        for (int round = 0; round < 8; round++)
        {
            Assert.That(async () => await req.RequestAsync(Utf8($"silent{round}"), ct), Throws.TypeOf<TimeoutException>());

            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var cancelled = req.RequestAsync(Utf8($"cancelled{round}"), cancel.Token);
            await cancel.CancelAsync();
            Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());

            // Replies to the requests that are over arrive now, and must reach nobody.
            while (late.TryDequeue(out var stale))
            {
                using (stale)
                {
                    await stale.ReplyAsync(Utf8("stale"), ct);
                }
            }

            using var reply = await req.RequestAsync(Utf8($"answer{round}"), ct);
            Assert.That(reply.ContentAsString(), Is.EqualTo($"re:answer{round}"));
        }

        Assert.That(req.PendingCount, Is.Zero);
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task RequestsAndRepliesTravelThroughASwitch(string transport, CancellationToken ct)
    {
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket();
        await using var front = new Socket();
        await using var back = new Socket();
        await using var device = new Switch(front, back);
        var frontAddress = await front.ListenOnAsync(transport);
        var backAddress = await back.ListenOnAsync(transport);
        await rep.DialAsync(backAddress, ct);
        await req.DialAsync(frontAddress, ct);

        var hops = new ConcurrentBag<int>();
        _ = Task.Run(async () =>
        {
            await foreach (var request in rep.ReceiveRequestsAsync())
            {
                using (request)
                {
                    hops.Add(request.Source.Count);
                    await request.ReplyAsync(Utf8("via switch:" + request.ContentAsString()));
                }
            }
        }, ct);

        for (int i = 0; i < 20; i++)
        {
            using var reply = await req.RequestAsync(Utf8($"r{i}"), ct);
            Assert.That(reply.ContentAsString(), Is.EqualTo($"via switch:r{i}"));
        }

        Assert.That(hops, Is.All.EqualTo(2), "the request came through the switch");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task DisposingFailsWaitingRequestsWithObjectDisposed(string transport, CancellationToken ct)
    {
        await using var rep = new ReplySocket();
        var req = new RequestSocket();
        var listener = await rep.ListenAsync(TestAddress.For(transport), ct);
        await req.DialAsync(listener.BoundAddress, ct);

        var pending = req.RequestAsync(Utf8("x"), ct);
        using var received = await rep.ReceiveRequestAsync(ct);
        await req.DisposeAsync();

        Assert.That(async () => await pending, Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await req.RequestAsync(Utf8("y"), ct), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public async Task ARequestTakesOneReply()
    {
        await using var rep = new ReplySocket();
        await using var req = new RequestSocket();
        var listener = await rep.ListenAsync(TestAddress.For("inproc"));
        await req.DialAsync(listener.BoundAddress);
        var pending = req.RequestAsync(Utf8("once"), Wait.Token());
        using var request = await rep.ReceiveRequestAsync(Wait.Token());
        await request.ReplyAsync(Utf8("one"));
        Assert.That(async () => await request.ReplyAsync(Utf8("two")), Throws.InvalidOperationException);
        using var reply = await pending;
        Assert.That(reply.ContentAsString(), Is.EqualTo("one"));
    }
}
