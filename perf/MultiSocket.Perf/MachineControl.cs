using System.Diagnostics;
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
        string address = $"inproc://perf-control-{Environment.ProcessId}";
        await using var receiver = new Socket(new SocketOptions { NoSend = true });
        await receiver.ListenAsync(address);
        await using var sender = new Socket(new SocketOptions { NoReceive = true });
        await sender.DialAsync(address);
        var payload = new byte[size];

        output.WriteLine($"round  multisocket [M msg/s]  channel<object> [M msg/s]  core-to-core [ns]   ({count:N0} messages of {size} B each)");
        for (int round = 1; round <= rounds; round++)
        {
            double sockets = await InprocRateAsync(sender, receiver, payload, count);
            double channels = await ChannelHandoff.RateAsync(count);
            double handOff = CoreToCore.HandOffNanoseconds(TimeSpan.FromMilliseconds(100));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round,5}  {sockets / 1e6,22:F1}  {channels / 1e6,25:F1}  {handOff,17:F0}"));
        }

        return 0;
    }

    /// <summary>Messages per second of <paramref name="count"/> sends from one task, received by another.</summary>
    public static async Task<double> InprocRateAsync(Socket sender, Socket receiver, byte[] payload, int count)
    {
        long start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Task.Run(() => SendAsync(sender, payload, count)), Task.Run(() => ReceiveAsync(receiver, count)));
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task SendAsync(Socket sender, byte[] payload, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var sent = sender.SendAsync(payload);
            if (!sent.IsCompletedSuccessfully)
            {
                await sent;
            }
        }
    }

    private static async Task ReceiveAsync(Socket receiver, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!receiver.TryReceive(out var message))
            {
                message = await receiver.ReceiveAsync();
            }

            message.Dispose();
        }
    }
}
