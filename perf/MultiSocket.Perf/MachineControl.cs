using System.Globalization;
using MultiSocket.Bench;

namespace MultiSocket.Perf;

/// <summary>
/// Tells the machine's state apart from the library's: alternates segments of an inproc push/pull (one sending task,
/// one receiving task) with segments of the same hand-off through <see cref="ChannelHandoff"/> (a bounded channel of 64, the BCL's
/// own producer–consumer queue, no sockets), and prints the two rates side by side per round, with the time one cache
/// line takes to pass between two spinning threads (<see cref="CoreToCore"/>, the machine alone). On the 2-core VM the
/// docs measure on, both drop to a lower level at the same rounds and come back together: the bench's "levels"
/// are the machine's (how its two virtual CPUs share caches at the time), not a state a process settles in.
/// </summary>
internal static class MachineControl
{
    public static async Task<int> RunAsync(int size, int count, int rounds, TextWriter output)
    {
        await using var pair = await InprocPushPull.OpenAsync("control");
        var payload = new byte[size];

        output.WriteLine($"round  multisocket [M msg/s]  channel<object> [M msg/s]  core-to-core [ns]   ({count:N0} messages of {size} B each)");
        for (int round = 1; round <= rounds; round++)
        {
            double sockets = await pair.RateAsync(payload, count);
            double channels = await ChannelHandoff.RateAsync(count);
            double handOff = CoreToCore.HandOffNanoseconds(TimeSpan.FromMilliseconds(100));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round,5}  {sockets / 1e6,22:F1}  {channels / 1e6,25:F1}  {handOff,17:F0}"));
        }

        return 0;
    }
}
