using System.Globalization;

namespace MultiSocket.Bench;

/// <summary>What one contender measured in one workload.</summary>
internal readonly record struct Figures(Throughput? Rate, Latency? Latency)
{
    /// <summary>Two slices of one workload as one.</summary>
    public static Figures operator +(Figures a, Figures b) =>
        new(a.Rate is { } r ? r + b.Rate!.Value : null, a.Latency is { } l ? l + b.Latency!.Value : null);

    public string Summary => Rate is { } r
        ? $"{r.MessagesPerSecond,12:N0} msg/s  {r.AllocatedPerMessage,8:0.0} B/msg"
        : $"p50 {Latency!.Value.P50Us,7:0.0} us  p99 {Latency.Value.P99Us,7:0.0} us";
}

/// <summary>One row group of the table: a workload, how to run it, and the target it is held to.</summary>
internal sealed class Workload
{
    private const int Subscribers = 4;

    private Workload(string name, Func<Contender, int, Task<Figures>> run, Func<Figures, Figures, IEnumerable<string[]>> rows)
    {
        Name = name;
        Run = run;
        Rows = rows;
    }

    public string Name { get; }

    /// <summary>Runs one slice of the workload (its share of the messages, round trips or time, given the slices).</summary>
    public Func<Contender, int, Task<Figures>> Run { get; }

    public Func<Figures, Figures, IEnumerable<string[]>> Rows { get; }

    public static IEnumerable<Workload> All(double scale)
    {
        int N(int count) => Math.Max(100, (int)(count * scale));

        yield return PushPull("tcp", 64, N(2_000_000), ratio: 3);
        yield return PushPull("tcp", 1024, N(600_000), ratio: 2);
        yield return PushPull("tcp", 64 * 1024, N(60_000), bytesPerSecond: 1e9);
        yield return PushPull("inproc", 64, N(4_000_000), ratio: 10);
        yield return PushPull("inproc", 1024, N(2_000_000));
        yield return PushPull("inproc", 64 * 1024, N(200_000));
        yield return RequestReply("tcp", 64, N(40_000), p50Ratio: 0.7);
        yield return RequestReply("inproc", 64, N(100_000), p50Ratio: 0.2);
        yield return PublishSubscribe("tcp", 64, TimeSpan.FromSeconds(Math.Max(0.2, 3 * scale)), ratio: 2);
    }

    private static Workload PushPull(string transport, int size, int count, double? ratio = null, double? bytesPerSecond = null)
    {
        string name = $"push/pull {transport} {Size(size)}";
        return new Workload(
            name,
            async (c, slices) => new Figures(await c.PushPullAsync(transport, size, count / slices, Math.Max(100, count / slices / 5)), null),
            (ms, mq) => [RateRow(name, size, ms.Rate!.Value, mq.Rate!.Value, ratio, bytesPerSecond)]);
    }

    private static Workload PublishSubscribe(string transport, int size, TimeSpan duration, double ratio)
    {
        string name = $"pub/sub {transport} {Size(size)} x{Subscribers}";
        return new Workload(
            name,
            async (c, slices) => new Figures(await c.PublishSubscribeAsync(transport, size, duration / slices, Subscribers), null),
            (ms, mq) =>
            {
                var row = RateRow(name + " per sub", size, ms.Rate!.Value, mq.Rate!.Value, ratio, null);
                row[1] += $" ({ms.Rate.Value.Delivered:P0} delivered)";
                row[2] += $" ({mq.Rate.Value.Delivered:P0} delivered)";
                return [row];
            });
    }

    private static Workload RequestReply(string transport, int size, int count, double p50Ratio)
    {
        string name = $"req/rep {transport} {Size(size)}";
        return new Workload(
            name,
            async (c, slices) => new Figures(null, await c.RequestReplyAsync(transport, size, count / slices, Math.Max(100, count / slices / 5))),
            (ms, mq) =>
            {
                var a = ms.Latency!.Value;
                var b = mq.Latency!.Value;
                double r50 = a.P50Us / b.P50Us;
                return
                [
                    [name + " p50", Us(a.P50Us), Us(b.P50Us), Ratio(r50), $"<= {p50Ratio:0.0#}x", Met(r50 <= p50Ratio), Bytes(a.AllocatedPerRoundTrip), Bytes(b.AllocatedPerRoundTrip)],
                    [name + " p99", Us(a.P99Us), Us(b.P99Us), Ratio(a.P99Us / b.P99Us), "", "", "", ""],
                ];
            });
    }

    private static string[] RateRow(string name, int size, Throughput ms, Throughput mq, double? ratio, double? bytesPerSecond)
    {
        double r = ms.MessagesPerSecond / mq.MessagesPerSecond;
        string target = "";
        string met = "";
        if (ratio is { } want)
        {
            target = $">= {want:0.#}x";
            met = Met(r >= want);
        }
        else if (bytesPerSecond is { } bps)
        {
            target = $">= {bps / 1e9:0.#} GB/s";
            met = Met(ms.MessagesPerSecond * size >= bps);
        }

        return [name, Rate(ms, size), Rate(mq, size), Ratio(r), target, met, Bytes(ms.AllocatedPerMessage), Bytes(mq.AllocatedPerMessage)];
    }

    private static string Rate(Throughput t, int size)
    {
        string text = t.MessagesPerSecond.ToString("N0", CultureInfo.InvariantCulture) + " msg/s";
        return size >= 1024 ? $"{text}, {t.MessagesPerSecond * size / 1e6:N0} MB/s" : text;
    }

    private static string Size(int size) => size >= 1024 ? $"{size / 1024} KiB" : $"{size} B";

    private static string Us(double us) => $"{us:0.0} us";

    private static string Ratio(double r) => $"{r:0.00}x";

    private static string Bytes(double b) => b.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Met(bool met) => met ? "yes" : "NO";
}

/// <summary>Prints rows as a Markdown table (readable in a terminal, pasteable into docs).</summary>
internal static class Table
{
    public static void Print(string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(Line(header, widths));
        Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in rows)
        {
            Console.WriteLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
}
