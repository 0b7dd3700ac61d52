using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

/// <summary>Full queues (best effort or waiting), pipe limits and one-way sockets, over every transport.</summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class SocketFlowControlTests(string transport)
{
    // Large enough that a peer that does not read fills the transport's buffers after a few hundred messages.
    private static readonly byte[] Payload = new byte[64 * 1024];
    private const int MaxAttempts = 5000;

    /// <summary>A peer that reads nothing until told to: its receive queue holds one message.</summary>
    private async Task<(Socket Peer, string Address)> StalledPeerAsync()
    {
        var peer = new Socket(new SocketOptions { ReceiveQueueSize = 1, Linger = TimeSpan.FromMilliseconds(200) });
        var address = await peer.ListenOnAsync(transport);
        return (peer, address);
    }

    /// <summary>
    /// Receives <paramref name="expected"/> messages, then (after the sender is disposed and the peer's pipe is gone)
    /// checks that nothing else arrived.
    /// </summary>
    private static async Task<int> DrainAsync(Socket peer, Socket sender, int expected)
    {
        int received = 0;
        while (received < expected)
        {
            using var message = await peer.ReceiveAsync(Wait.Token());
            received++;
        }

        var draining = Task.Run(async () =>
        {
            await foreach (var message in peer.ReceiveAllAsync())
            {
                message.Dispose();
                Interlocked.Increment(ref received);
            }
        });
        await sender.DisposeAsync();
        await Wait.UntilAsync(() => peer.PipeCount == 0, "the sender's pipe closes on the peer");
        await peer.DisposeAsync();
        await Wait.ForAsync(draining, "the peer's receive loop ends");
        return received;
    }

    [Test]
    public async Task BestEffortDropsInsteadOfBlockingAndCountsEveryDrop()
    {
        var (peer, address) = await StalledPeerAsync();
        await using var _ = peer;
        var sender = new Socket(new SocketOptions { BestEffort = true, SendQueueSize = 1, Linger = TimeSpan.FromSeconds(2) });
        await using var __ = sender;
        await sender.DialAsync(address);

        int attempted = 0;
        while (sender.Statistics.Dropped == 0 && attempted < MaxAttempts)
        {
            var sent = sender.SendAsync(Payload);
            attempted++;
            Assert.That(sent.IsCompletedSuccessfully, Is.True, $"best-effort send #{attempted} completed at once");
            await sent;
        }

        long dropped = sender.Statistics.Dropped;
        Assert.That(dropped, Is.GreaterThan(0), $"a peer that does not read makes a best-effort sender drop within {attempted} sends");
        for (int i = 0; i < 10; i++)
        {
            var sent = sender.SendAsync(Payload);
            attempted++;
            Assert.That(sent.IsCompletedSuccessfully, Is.True, "still not blocking");
        }

        dropped = sender.Statistics.Dropped;
        int delivered = await DrainAsync(peer, sender, attempted - (int)dropped);
        Assert.That(delivered + dropped, Is.EqualTo(attempted), "every send was either delivered or counted as dropped");
    }

    [Test]
    public async Task FullQueueMakesSendWaitAndCancellationEndsTheWait()
    {
        var (peer, address) = await StalledPeerAsync();
        await using var _ = peer;
        var sender = new Socket(new SocketOptions { SendQueueSize = 1, Linger = TimeSpan.FromSeconds(2) });
        await using var __ = sender;
        await sender.DialAsync(address);

        int delivered = 0;   // sends that completed: each must arrive
        int cancelled = 0;
        int attempts = 0;
        while (cancelled == 0 && attempts++ < MaxAttempts)
        {
            using var cts = new CancellationTokenSource();
            var sent = sender.SendAsync(Payload, cts.Token);
            if (sent.IsCompleted)
            {
                await sent;
                delivered++;
                continue;
            }

            cts.Cancel();
            try
            {
                await sent;
                delivered++;   // room appeared just before the cancellation: it went out after all
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
        }

        Assert.That(cancelled, Is.EqualTo(1), "a send waiting on a full queue ends with OperationCanceledException");
        Assert.That(sender.Statistics.Dropped, Is.Zero, "a waiting sender never drops");

        // Still full: a send without a token waits (on tcp the transport may make a little room first).
        Task waiting = Task.CompletedTask;
        for (attempts = 0; waiting.IsCompleted && attempts < MaxAttempts; attempts++)
        {
            waiting = sender.SendAsync(Payload).AsTask();
            if (waiting.IsCompleted)
            {
                await waiting;
                delivered++;
            }
        }

        Assert.That(waiting.IsCompleted, Is.False, "a send waits while the queue is full");
        var receiving = DrainAsync(peer, sender, delivered + 1);
        await Wait.ForAsync(waiting, "the waiting send completes once the peer reads");
        Assert.That(await receiving, Is.EqualTo(delivered + 1), "the cancelled message was not sent");
    }

    [Test]
    public async Task PipeLimitRefusesConnectionsUntilAPipeGoesAway()
    {
        await using var server = new Socket(new SocketOptions { PipeLimit = 2 });
        var address = await server.ListenOnAsync(transport);
        var reconnecting = new SocketOptions { MinReconnectInterval = TimeSpan.FromMilliseconds(10), MaxReconnectInterval = TimeSpan.FromMilliseconds(50) };
        await using var first = new Socket(reconnecting with { Reconnect = false });
        await using var second = new Socket(reconnecting);
        await using var third = new Socket(reconnecting);
        var firstDialer = await first.DialAsync(address);
        await second.DialAsync(address);
        await Wait.UntilAsync(() => server.PipeCount == 2, "two pipes accepted");

        // The third connection is taken by the transport but refused by the socket; its dialer keeps trying.
        await third.DialAsync(address);
        await Wait.UntilAsync(() => server.Statistics.PipesRefused >= 2, "the third peer is refused, again and again");
        Assert.That(server.PipeCount, Is.EqualTo(2));
        Assert.That(server.Statistics.PipesAdded, Is.EqualTo(2));

        await firstDialer.DisposeAsync();
        await Wait.UntilAsync(() => server.Statistics.PipesAdded == 3, "a slot opened and the third peer got it");
        Assert.That(server.PipeCount, Is.EqualTo(2));

        // Messages on a refused connection may be lost, so repeat until one arrives on the accepted pipe.
        string? got = null;
        var deadline = Wait.Token();
        while (got is null)
        {
            await third.SendAsync("third", deadline);
            using var probe = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                got = (await server.ReceiveAsync(CancellationTokenSource.CreateLinkedTokenSource(probe.Token, deadline).Token)).ContentAsString();
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
            }
        }

        Assert.That(got, Is.EqualTo("third"));
    }

    [Test]
    public async Task DialingAtThePipeLimitThrows()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket(new SocketOptions { PipeLimit = 1 });
        await client.DialAsync(address);
        Assert.That(async () => await client.DialAsync(address), Throws.InvalidOperationException);
        Assert.That(client.PipeCount, Is.EqualTo(1));
    }

    [Test]
    public async Task NoSendSocketReceivesButCannotSend()
    {
        await using var server = new Socket(new SocketOptions { NoSend = true });
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        await client.SendAsync("one way");
        using var message = await server.ReceiveAsync(Wait.Token());
        Assert.That(message.ContentAsString(), Is.EqualTo("one way"));

        Assert.That(async () => await server.SendAsync("x"), Throws.InvalidOperationException);
        Assert.That(async () => await server.SendAllAsync(new byte[1]), Throws.InvalidOperationException);
        Assert.That(async () => await server.SendToAsync(message.Source, new byte[1]), Throws.InvalidOperationException);
        var forwarded = Message.Create("x");
        Assert.That(async () => await server.SendMessageAsync(forwarded), Throws.InvalidOperationException);
        Assert.That(forwarded.Length, Is.Zero, "the socket took ownership and disposed it");
    }

    [Test]
    public async Task NoReceiveSocketSendsAndDropsWhatArrives()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket(new SocketOptions { NoReceive = true, ReceiveQueueSize = 1 });
        await client.DialAsync(address);
        await client.SendAsync("hello");
        using var hello = await server.ReceiveAsync(Wait.Token());

        Assert.That(async () => await client.ReceiveAsync(), Throws.InvalidOperationException);
        Assert.Throws<InvalidOperationException>(() => client.TryReceive(out _));
        Assert.Throws<InvalidOperationException>(() => client.ReceiveAllAsync());

        // Far more than every queue between them holds: the NoReceive peer keeps reading and discarding.
        var replies = Task.Run(async () =>
        {
            for (int i = 0; i < 500; i++)
            {
                await server.SendToAsync(hello.Source, Payload);
            }
        });
        await Wait.ForAsync(replies, "sends to a NoReceive peer never stall");
        Assert.That(client.PipeCount, Is.EqualTo(1));
    }

    [Test]
    public async Task SendWaitingOnAFullQueueEndsWithObjectDisposed()
    {
        var (peer, address) = await StalledPeerAsync();
        await using var _ = peer;
        var sender = new Socket(new SocketOptions { SendQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await sender.DialAsync(address);
        Task waiting = Task.CompletedTask;
        for (int i = 0; waiting.IsCompleted && i < MaxAttempts; i++)
        {
            waiting = sender.SendAsync(Payload).AsTask();
        }

        Assert.That(waiting.IsCompleted, Is.False, "the queue is full");
        await sender.DisposeAsync();

        // The last send may have found the queue momentarily full while the peer was still taking an earlier message
        // (with a queue of one this race is common), and so still got in; what must not happen is a hang or any other
        // exception than ObjectDisposedException.
        var outcome = await Task.WhenAny(waiting, Task.Delay(Wait.Timeout));
        Assert.That(outcome, Is.SameAs(waiting), "the waiting send ended with the socket");
        Assert.That(waiting.IsCompletedSuccessfully || waiting.Exception?.InnerException is ObjectDisposedException, Is.True, $"ended with {waiting.Exception?.InnerException}");
    }

    [Test]
    public async Task SendToOnePassesOverAPeerThatDoesNotRead()
    {
        var (stalled, stalledAddress) = await StalledPeerAsync();
        await using var _ = stalled;
        await using var reader = new Socket();
        var readerAddress = await reader.ListenOnAsync(transport);
        await using var sender = new Socket(new SocketOptions { SendQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await sender.DialAsync(stalledAddress);
        await sender.DialAsync(readerAddress);

        // Far more than the stalled peer's buffers hold: every send completes because the reading peer takes them.
        const int count = 1000;
        int received = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var message in reader.ReceiveAllAsync())
            {
                message.Dispose();
                Interlocked.Increment(ref received);
            }
        });
        var sending = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await sender.SendAsync(Payload);
            }
        });
        await Wait.ForAsync(sending, "all sends complete despite the stalled peer");
        Assert.That(sender.Statistics.Dropped, Is.Zero);
        await Wait.UntilAsync(() => Volatile.Read(ref received) > count / 2, "the reading peer took most of them");
    }

    [Test]
    public async Task DialerAtThePipeLimitWaitsForASlotThenReconnects()
    {
        var serverA = new Socket();
        var addressA = await serverA.ListenOnAsync(transport);
        await using var serverB = new Socket();
        var addressB = await serverB.ListenOnAsync(transport);
        await using var client = new Socket(new SocketOptions
        {
            PipeLimit = 1,
            MinReconnectInterval = TimeSpan.FromMilliseconds(10),
            MaxReconnectInterval = TimeSpan.FromMilliseconds(50),
        });
        // The socket's own count as each pipe joins. (Counting the events instead can see one more than the limit:
        // they are raised outside the socket's lock, so a new pipe's PipeAdded may come before a closed one's
        // PipeRemoved even though the socket never held both.)
        int maxPipes = 0;
        client.PipeAdded += (_, _) =>
        {
            int now = client.PipeCount;
            int max;
            while (now > (max = Volatile.Read(ref maxPipes)) && Interlocked.CompareExchange(ref maxPipes, now, max) != max)
            {
            }
        };

        var dialerA = await client.DialAsync(addressA);
        await serverA.DisposeAsync();
        await Wait.UntilAsync(() => client.PipeCount == 0, "A's pipe closed; dialer A keeps retrying");
        var dialerB = await client.DialAsync(addressB);

        // A is back, but the client is at its limit: dialer A must not hold a second pipe.
        await using var serverA2 = new Socket();
        await serverA2.ListenAsync(addressA);
        _ = serverA2.RunEchoAsync();
        await client.SendAsync("to b");
        Assert.That(await serverB.ReceiveTextAsync(), Is.EqualTo("to b"));

        await dialerB.DisposeAsync();
        await Wait.UntilAsync(() => dialerA.IsConnected, "dialer A takes the freed slot");
        await client.SendAsync("to a2");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:to a2"));
        Assert.That(Volatile.Read(ref maxPipes), Is.EqualTo(1), "never more pipes than the limit");
    }
}
