using System.Diagnostics;
using System.Threading.Channels;

namespace MultiSocket.Bench;

/// <summary>
/// A machine check, no sockets: one task hands objects to another through a bounded <see cref="Channel{T}"/> of 64
/// (single reader and writer), the BCL's own producer–consumer queue. On the 2-core VM the docs measure on, its rate
/// switches between ~15 M and ~6 M hand-offs a second every few seconds, and the libraries' rates drop at the same
/// moments: a figure taken in the low state says more about the machine than about the library. Linked into the
/// bench (a check before every run) and the perf tools (<c>inproc_control</c>).
/// </summary>
internal static class ChannelHandoff
{
    private const int Capacity = 64;

    private static readonly object Item = new();

    /// <summary>Hands <paramref name="count"/> objects from one task to another; returns hand-offs per second.</summary>
    public static async Task<double> RateAsync(int count)
    {
        var channel = Channel.CreateBounded<object>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        long start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Task.Run(() => WriteAsync(channel.Writer, count)), Task.Run(() => ReadAsync(channel.Reader, count)));
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task WriteAsync(ChannelWriter<object> writer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!writer.TryWrite(Item))
            {
                await writer.WriteAsync(Item);
            }
        }
    }

    private static async Task ReadAsync(ChannelReader<object> reader, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryRead(out _))
            {
                await reader.ReadAsync();
            }
        }
    }
}
