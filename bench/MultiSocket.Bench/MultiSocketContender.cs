using System.Diagnostics;
using MultiSocket;

namespace MultiSocket.Bench;

/// <summary>The MultiSocket side, through <see cref="IMultiSocketPatterns"/>.</summary>
internal sealed class MultiSocketContender(IMultiSocketPatterns patterns) : Contender
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public override string Name => "MultiSocket";

    public override async Task<Throughput> PushPullAsync(string transport, int size, int count, int warmup)
    {
        await using var pull = patterns.Pull();
        await using var push = patterns.Push();
        string address = await pull.ListenAsync(ListenAddress(transport, "pushpull"));
        await push.DialAsync(address);
        await UntilAsync(() => pull.PeerCount == 1 && push.PeerCount == 1);

        var payload = new byte[size];
        await TransferAsync(push, pull, payload, warmup);
        var allocation = AllocationWindow.Open();
        long start = Stopwatch.GetTimestamp();
        await TransferAsync(push, pull, payload, count);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Throughput(count, seconds, allocation.Close(), count);
    }

    private static async Task TransferAsync(IBenchSocket push, IBenchSocket pull, byte[] payload, int count)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var receive = Task.Run(() => ReceiveAsync(pull, count, cts.Token));
        for (int i = 0; i < count; i++)
        {
            var sent = push.SendAsync(payload);
            if (!sent.IsCompletedSuccessfully)
            {
                await sent;
            }
        }

        await receive;
    }

    private static async Task ReceiveAsync(IBenchSocket pull, int count, CancellationToken token)
    {
        for (int i = 0; i < count; i++)
        {
            if (!pull.TryReceive(out var message))
            {
                message = await pull.ReceiveAsync(token);
            }

            message.Dispose();
        }
    }

    public override async Task<Latency> RequestReplyAsync(string transport, int size, int count, int warmup)
    {
        await using var rep = patterns.Reply();
        await using var req = patterns.Request();
        string address = await rep.ListenAsync(ListenAddress(transport, "reqrep"));
        await req.DialAsync(address);
        await UntilAsync(() => rep.PeerCount == 1 && req.PeerCount == 1);

        using var stop = new CancellationTokenSource();
        var server = Task.Run(() => ServeAsync(rep, stop.Token));
        var payload = new byte[size];
        var ticks = new long[count];
        using var timeout = new CancellationTokenSource(Timeout);
        await RoundTripsAsync(req, payload, new long[warmup], timeout.Token);
        var allocation = AllocationWindow.Open();
        await RoundTripsAsync(req, payload, ticks, timeout.Token);
        long allocated = allocation.Close();
        await stop.CancelAsync();
        await server;
        return Latency.From(ticks, allocated);
    }

    private static async Task RoundTripsAsync(IBenchSocket req, byte[] payload, long[] ticks, CancellationToken token)
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await req.SendAsync(payload);
            using var reply = await req.ReceiveAsync(token);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    private static async Task ServeAsync(IBenchSocket rep, CancellationToken token)
    {
        try
        {
            while (true)
            {
                using var request = await rep.ReceiveAsync(token);
                await rep.ReplyAsync(request, request.Content);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    public override async Task<Throughput> PublishSubscribeAsync(string transport, int size, int count, int subscribers)
    {
        await using var pub = patterns.Publish();
        string address = await pub.ListenAsync(ListenAddress(transport, "pubsub"));
        var subs = new IBenchSocket[subscribers];
        for (int i = 0; i < subs.Length; i++)
        {
            subs[i] = patterns.Subscribe();
            await subs[i].DialAsync(address);
        }

        try
        {
            await UntilAsync(() => pub.PeerCount == subscribers);
            using var cts = new CancellationTokenSource(Timeout);
            var counters = new SubscriberCounter[subscribers];
            var loops = new Task[subscribers];
            for (int i = 0; i < subs.Length; i++)
            {
                counters[i] = new SubscriberCounter();
                var (sub, counter) = (subs[i], counters[i]);
                loops[i] = Task.Run(() => SubscribeLoopAsync(sub, counter, cts.Token));
            }

            var probe = new byte[size];
            probe[0] = Probe;
            while (!counters.All(c => c.Ready))
            {
                await pub.SendAsync(probe);
                await Task.Delay(1);
            }

            var payload = new byte[size];
            var allocation = AllocationWindow.Open();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                var sent = pub.SendAsync(payload);
                if (!sent.IsCompletedSuccessfully)
                {
                    await sent;
                }
            }

            var end = new byte[size];
            end[0] = End;
            while (!loops.All(l => l.IsCompleted))
            {
                await pub.SendAsync(end);
                await Task.Delay(1);
            }

            await Task.WhenAll(loops);
            long allocated = allocation.Close();
            return SubscriberCounter.Average(counters, start, allocated, count);
        }
        finally
        {
            foreach (var sub in subs)
            {
                await sub.DisposeAsync();
            }
        }
    }

    private static async Task SubscribeLoopAsync(IBenchSocket sub, SubscriberCounter counter, CancellationToken token)
    {
        while (true)
        {
            if (!sub.TryReceive(out var message))
            {
                message = await sub.ReceiveAsync(token);
            }

            byte kind = message.Length > 0 ? message.Content.Span[0] : Data;
            message.Dispose();
            if (kind == End)
            {
                return;
            }

            counter.On(kind);
        }
    }

    private static string ListenAddress(string transport, string what) => transport switch
    {
        "tcp" => "tcp://127.0.0.1:0",
        "inproc" => UniqueInproc(what),
        _ => throw new ArgumentException($"Unknown transport {transport}", nameof(transport)),
    };

    private static async Task UntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Timeout)
            {
                throw new TimeoutException("Peers did not connect.");
            }

            await Task.Delay(1);
        }
    }
}

/// <summary>What one subscriber saw: data messages and when the last one arrived.</summary>
internal sealed class SubscriberCounter
{
    private volatile bool _ready;

    public long Received { get; private set; }

    public long LastTimestamp { get; private set; }

    public bool Ready => _ready;

    public void On(byte kind)
    {
        if (kind == 0)
        {
            Received++;
            LastTimestamp = Stopwatch.GetTimestamp();
        }
        else
        {
            _ready = true;
        }
    }

    /// <summary>The average per-subscriber rate: each one's count over its own window from the first send.</summary>
    public static Throughput Average(SubscriberCounter[] counters, long start, long allocated, int sent)
    {
        double rate = 0;
        long received = 0;
        foreach (var c in counters)
        {
            received += c.Received;
            double seconds = c.Received == 0 ? 1 : Stopwatch.GetElapsedTime(start, c.LastTimestamp).TotalSeconds;
            rate += c.Received / seconds;
        }

        rate /= counters.Length;
        long perSubscriber = received / counters.Length;
        return new Throughput(perSubscriber, perSubscriber / rate, allocated, sent);
    }
}
