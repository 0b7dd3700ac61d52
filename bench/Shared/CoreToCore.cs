using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MultiSocket.Bench;

/// <summary>
/// A machine check that involves no library, no queue and no wake-up: two spinning threads bounce one cache line
/// between them, and the check reports how long one hand-off takes. On the 2-core VM the docs measure on this switches
/// between ~45–70 ns and ~160–200 ns every few seconds to minutes (the host moves the two virtual CPUs between cores
/// that share a cache and cores that do not), and everything that passes data between threads slows down with it.
/// Linked into the bench (a check before and after every run) and the perf tools (<c>inproc_control</c>).
/// </summary>
internal static class CoreToCore
{
    /// <summary>
    /// Bounces a cache line between this thread and a second one for <paramref name="duration"/>; returns the mean
    /// one-way hand-off in nanoseconds, or NaN on a single CPU (the two would take turns on it, not hand off) or when
    /// the second thread stops answering for a second.
    /// </summary>
    public static double HandOffNanoseconds(TimeSpan duration)
    {
        if (Environment.ProcessorCount < 2)
        {
            return double.NaN;
        }

        var line = new Line();
        var partner = new Thread(() => Answer(line)) { IsBackground = true, Name = "core-to-core check" };
        partner.Start();
        long handOffs = 0;
        long ball = 0;
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long giveUp = end + Stopwatch.Frequency;
        long now = start;
        bool stalled = false;
        while (now < end && !stalled)
        {
            // 256 round trips between looks at the clock: serve (odd), wait for the return (even).
            for (int i = 0; i < 256 && !stalled; i++)
            {
                Volatile.Write(ref line.Ball, ++ball);
                int spins = 0;
                while (Volatile.Read(ref line.Ball) == ball)
                {
                    // A partner that never answers (it cannot get a CPU) ends the check instead of hanging it.
                    if (++spins == 1 << 16)
                    {
                        spins = 0;
                        stalled = Stopwatch.GetTimestamp() > giveUp;
                        if (stalled)
                        {
                            break;
                        }
                    }
                }

                ball++;
            }

            handOffs += 512;
            now = Stopwatch.GetTimestamp();
        }

        Volatile.Write(ref line.Stop, 1);
        Volatile.Write(ref line.Ball, ++ball);
        partner.Join();
        return stalled ? double.NaN : (now - start) * 1e9 / Stopwatch.Frequency / handOffs;
    }

    /// <summary>
    /// The machine's state around a run from the checks before and after it: "upper" when both hand-offs took under
    /// <see cref="LowerStateNanoseconds"/>, "lower" when both took longer, "mixed" when it changed, "-" on one CPU.
    /// </summary>
    public static string State(double before, double after) =>
        double.IsNaN(before) || double.IsNaN(after) ? "-"
        : before < LowerStateNanoseconds && after < LowerStateNanoseconds ? "upper"
        : before >= LowerStateNanoseconds && after >= LowerStateNanoseconds ? "lower"
        : "mixed";

    /// <summary>Hand-offs at least this slow (ns) are the lower state: measured ~45–70 ns upper, ~130–240 ns lower.</summary>
    public const double LowerStateNanoseconds = 100;

    private static void Answer(Line line)
    {
        while (Volatile.Read(ref line.Stop) == 0)
        {
            long ball = Volatile.Read(ref line.Ball);
            if ((ball & 1) != 0 && Volatile.Read(ref line.Stop) == 0)
            {
                Volatile.Write(ref line.Ball, ball + 1);
            }
        }
    }

    // The ball alone on its cache line; the stop flag on another, read by the partner between serves.
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private sealed class Line
    {
        [FieldOffset(64)]
        public long Ball;

        [FieldOffset(128)]
        public int Stop;
    }
}
