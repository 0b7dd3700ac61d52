using System.Diagnostics;

namespace MultiSocket.Bench;

/// <summary>A throughput measurement: messages received in the measured window, and what the process allocated.</summary>
internal readonly record struct Throughput(long Messages, double Seconds, long AllocatedBytes, long Sent)
{
    /// <summary>Two windows of one workload as one: the messages of both over the time of both.</summary>
    public static Throughput operator +(Throughput a, Throughput b) =>
        new(a.Messages + b.Messages, a.Seconds + b.Seconds, a.AllocatedBytes + b.AllocatedBytes, a.Sent + b.Sent);

    public double MessagesPerSecond => Messages / Seconds;

    public double AllocatedPerMessage => (double)AllocatedBytes / Sent;

    /// <summary>Share of the sent messages each receiver got (below 1 when a best-effort sender dropped).</summary>
    public double Delivered => (double)Messages / Sent;
}

/// <summary>Round-trip times of a request/reply loop (sorted, in stopwatch ticks), and what the process allocated.</summary>
internal readonly record struct Latency(long[] Ticks, long AllocatedBytes)
{
    private static readonly double ToUs = 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Sorts <paramref name="ticks"/> (in place) and keeps them.</summary>
    public static Latency From(long[] ticks, long allocated)
    {
        Array.Sort(ticks);
        return new Latency(ticks, allocated);
    }

    /// <summary>Two windows of one workload as one: the percentiles of all their round trips.</summary>
    public static Latency operator +(Latency a, Latency b) => From([.. a.Ticks, .. b.Ticks], a.AllocatedBytes + b.AllocatedBytes);

    public double P50Us => Ticks[Ticks.Length / 2] * ToUs;

    public double P99Us => Ticks[Math.Min(Ticks.Length - 1, (int)(Ticks.Length * 0.99))] * ToUs;

    public double AllocatedPerRoundTrip => (double)AllocatedBytes / Ticks.Length;
}

/// <summary>Bytes allocated by every thread of the process since the window opened.</summary>
internal readonly struct AllocationWindow
{
    private readonly long _start;

    private AllocationWindow(long start) => _start = start;

    public static AllocationWindow Open() => new(GC.GetTotalAllocatedBytes(precise: true));

    public long Close() => GC.GetTotalAllocatedBytes(precise: true) - _start;
}

/// <summary>One side of the comparison: runs every workload with one library.</summary>
internal abstract class Contender
{
    public abstract string Name { get; }

    /// <summary>One pusher, one puller: <paramref name="count"/> messages of <paramref name="size"/> bytes.</summary>
    public abstract Task<Throughput> PushPullAsync(string transport, int size, int count, int warmup);

    /// <summary>One requester, one echoing replier: <paramref name="count"/> round trips, one at a time.</summary>
    public abstract Task<Latency> RequestReplyAsync(string transport, int size, int count, int warmup);

    /// <summary>
    /// One publisher sending as fast as it can for <paramref name="duration"/> (dropping what its subscribers cannot
    /// take), <paramref name="subscribers"/> subscribers; the rate each subscriber sees.
    /// </summary>
    public abstract Task<Throughput> PublishSubscribeAsync(string transport, int size, TimeSpan duration, int subscribers);

    /// <summary>
    /// How long each contender warms up on a workload before its measured window (<c>--warmup</c>). The JIT tiers hot
    /// code up (tier 0, then instrumented, then optimized with the profile it gathered) over the first second or two of
    /// a run; a window that opens before that measures the JIT. Both libraries get the same warm-up.
    /// </summary>
    public static TimeSpan WarmUpTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="round"/> (at least once) until <see cref="WarmUpTime"/> has passed.</summary>
    protected static async Task WarmUpAsync(Func<Task> round)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            await round();
        }
        while (clock.Elapsed < WarmUpTime);
    }

    /// <summary>Runs <paramref name="round"/> (at least once) until <see cref="WarmUpTime"/> has passed.</summary>
    protected static void WarmUp(Action round)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            round();
        }
        while (clock.Elapsed < WarmUpTime);
    }

    protected static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    protected static string UniqueInproc(string what) => $"inproc://bench-{what}-{Guid.NewGuid():N}";

    // Pub/sub payload kinds (first byte): data, end of run, connection probe.
    protected const byte Data = 0;
    protected const byte End = 1;
    protected const byte Probe = 2;
}
