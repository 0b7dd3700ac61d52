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
        // Twice: one fill did not always reach the high (tcp 64 KiB: 26-35 B/msg in 2 of 11 runs, 0-0.2 with two).
        await FillAsync(push, pull, payload, warmup);
        await FillAsync(push, pull, payload, warmup);
        await WarmUpAsync(() => TransferAsync(push, pull, payload, warmup));
        var allocation = AllocationWindow.Open();
        long start = Stopwatch.GetTimestamp();
        await TransferAsync(push, pull, payload, count);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Throughput(count, seconds, allocation.Close(), count);
    }

    // Part of the warm-up: sends without receiving until a send has waited 100 ms (every queue between the two sockets
    // is full), then receives it all. The buffer pools grow to what the queues hold here rather than in the measured
    // window, where the first time the queues happened to fill showed as allocation (pool growth, once, not per message).
    private static async Task FillAsync(IBenchSocket push, IBenchSocket pull, byte[] payload, int max)
    {
        int sent = 0;
        Task? blocked = null;
        while (sent < max && blocked is null)
        {
            var pending = push.SendAsync(payload);
            sent++;
            if (!pending.IsCompletedSuccessfully)
            {
                var task = pending.AsTask();
                if (await Task.WhenAny(task, Task.Delay(100)) != task)
                {
                    blocked = task;
                }
            }
        }

        var receive = ReceiveAsync(pull, sent);
        await (blocked ?? Task.CompletedTask);
        await receive;
    }

    private static async Task TransferAsync(IBenchSocket push, IBenchSocket pull, byte[] payload, int count)
    {
        var receive = Task.Run(() => ReceiveAsync(pull, count));
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

    // Hot loops pass no token: a cancellable wait allocates (System.Threading.Channels); the run's watchdog bounds hangs.
    private static async Task ReceiveAsync(IBenchSocket pull, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!pull.TryReceive(out var message))
            {
                message = await pull.ReceiveAsync(CancellationToken.None);
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

        var server = Task.Run(() => ServeAsync(rep));
        var payload = new byte[size];
        var ticks = new long[count];
        var warmupTicks = new long[warmup];
        await WarmUpAsync(() => RoundTripsAsync(req, payload, warmupTicks));
        var allocation = AllocationWindow.Open();
        await RoundTripsAsync(req, payload, ticks);
        long allocated = allocation.Close();
        await rep.DisposeAsync();
        await server;
        return Latency.From(ticks, allocated);
    }

    private static async Task RoundTripsAsync(IBenchSocket req, byte[] payload, long[] ticks)
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await req.SendAsync(payload);
            using var reply = await req.ReceiveAsync(CancellationToken.None);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    private static async Task ServeAsync(IBenchSocket rep)
    {
        try
        {
            while (true)
            {
                using var request = await rep.ReceiveAsync(CancellationToken.None);
                await rep.ReplyAsync(request, request.Content);
            }
        }
        catch (ObjectDisposedException)
        {
            // The run is over: the replier was disposed.
        }
    }

    public override async Task<Throughput> PublishSubscribeAsync(string transport, int size, TimeSpan duration, int subscribers)
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
            var counters = new SubscriberCounter[subscribers];
            var loops = new Task[subscribers];
            for (int i = 0; i < subs.Length; i++)
            {
                counters[i] = new SubscriberCounter();
                var (sub, counter) = (subs[i], counters[i]);
                loops[i] = Task.Run(() => SubscribeLoopAsync(sub, counter));
            }

            var probe = new byte[size];
            probe[0] = Probe;
            var clock = Stopwatch.StartNew();
            while (!counters.All(c => c.Ready))
            {
                await pub.SendAsync(probe);
                await Task.Delay(1);
                if (clock.Elapsed > Timeout)
                {
                    throw new TimeoutException("Subscribers did not connect.");
                }
            }

            // Warm up at full rate with probes (not counted), then measure.
            // The publisher gets a thread of its own, as NetMQ's does: a best-effort publish never waits, so on the
            // thread pool it would hold a worker the pipes need.
            await OnOwnThread(() => PublishForAsync(pub, probe, Max(duration / 4, WarmUpTime)));
            var payload = new byte[size];
            var allocation = AllocationWindow.Open();
            long start = Stopwatch.GetTimestamp();
            long sent = await OnOwnThread(() => PublishForAsync(pub, payload, duration));

            var end = new byte[size];
            end[0] = End;
            while (!loops.All(l => l.IsCompleted))
            {
                await pub.SendAsync(end);
                await Task.Delay(1);
            }

            await Task.WhenAll(loops);
            long allocated = allocation.Close();
            return SubscriberCounter.Average(counters, start, allocated, sent);
        }
        finally
        {
            foreach (var sub in subs)
            {
                await sub.DisposeAsync();
            }
        }
    }

    private static Task<T> OnOwnThread<T>(Func<Task<T>> run) =>
        Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private static async Task<long> PublishForAsync(IBenchSocket pub, byte[] payload, TimeSpan duration)
    {
        long sent = 0;
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        do
        {
            for (int i = 0; i < 256; i++)
            {
                var published = pub.SendAsync(payload);
                if (!published.IsCompletedSuccessfully)
                {
                    await published;
                }
            }

            sent += 256;
        }
        while (Stopwatch.GetTimestamp() < end);
        return sent;
    }

    private static async Task SubscribeLoopAsync(IBenchSocket sub, SubscriberCounter counter)
    {
        while (true)
        {
            if (!sub.TryReceive(out var message))
            {
                message = await sub.ReceiveAsync(CancellationToken.None);
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
    // A timestamp every this many data messages, not every one: reading the clock (~20-25 ns through the vDSO) per
    // message was 6 % of the subscribers' CPU in a profile. Each rate is the count at the last stamp over its time.
    private const int StampEvery = 64;

    private volatile bool _ready;

    public long Received { get; private set; }

    /// <summary>Data messages received when <see cref="LastTimestamp"/> was taken.</summary>
    public long Stamped { get; private set; }

    public long LastTimestamp { get; private set; }

    public bool Ready => _ready;

    public void On(byte kind)
    {
        if (kind == 0)
        {
            if (++Received % StampEvery == 0)
            {
                Stamped = Received;
                LastTimestamp = Stopwatch.GetTimestamp();
            }
        }
        else
        {
            _ready = true;
        }
    }

    /// <summary>The average per-subscriber rate: each one's count over its own window from the first send.</summary>
    public static Throughput Average(SubscriberCounter[] counters, long start, long allocated, long sent)
    {
        double rate = 0;
        long received = 0;
        foreach (var c in counters)
        {
            received += c.Received;
            if (c.Stamped > 0)
            {
                rate += c.Stamped / Stopwatch.GetElapsedTime(start, c.LastTimestamp).TotalSeconds;
            }
        }

        rate /= counters.Length;
        long perSubscriber = received / counters.Length;
        return new Throughput(perSubscriber, rate > 0 ? perSubscriber / rate : double.PositiveInfinity, allocated, sent);
    }
}
