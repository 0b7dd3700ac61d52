using System.Globalization;
using MultiSocket.Perf;

// Perf tools in the manner of nanomsg's: two processes (or one, for inproc), any transport.
//   local_thr  <bind-address>    <msg-size> <msg-count>       receives and prints throughput
//   remote_thr <connect-address> <msg-size> <msg-count>       sends
//   local_lat  <bind-address>    <msg-size> <roundtrip-count> echoes
//   remote_lat <connect-address> <msg-size> <roundtrip-count> sends, waits for the echo, prints average latency
//   inproc_thr <msg-size> <msg-count> / inproc_lat <msg-size> <roundtrip-count>: both halves in this process
//   inproc_control <msg-size> <msg-count> <rounds>: inproc push/pull, a BCL Channel and the core-to-core hand-off time, per round (machine check)
//   handoff_designs <msg-size> <msg-count> <rounds>: inproc push/pull next to minimal two-thread hand-offs of several designs (what a design could gain)
const string Usage = """
    usage: MultiSocket.Perf local_thr  <bind-address>    <msg-size> <msg-count>
           MultiSocket.Perf remote_thr <connect-address> <msg-size> <msg-count>
           MultiSocket.Perf local_lat  <bind-address>    <msg-size> <roundtrip-count>
           MultiSocket.Perf remote_lat <connect-address> <msg-size> <roundtrip-count>
           MultiSocket.Perf inproc_thr <msg-size> <msg-count>
           MultiSocket.Perf inproc_lat <msg-size> <roundtrip-count>
           MultiSocket.Perf inproc_control <msg-size> <msg-count> <rounds>
           MultiSocket.Perf handoff_designs <msg-size> <msg-count> <rounds>
    addresses: tcp://127.0.0.1:5555, inproc://name, any registered transport
    """;

try
{
    return args switch
    {
        ["local_thr", var address, var size, var count] => await Perf.LocalThroughputAsync(address, Size(size), Count(count), Console.Out),
        ["remote_thr", var address, var size, var count] => await Perf.RemoteThroughputAsync(address, Size(size), Count(count)),
        ["local_lat", var address, var size, var count] => await Perf.LocalLatencyAsync(address, Size(size), Count(count)),
        ["remote_lat", var address, var size, var count] => await Perf.RemoteLatencyAsync(address, Size(size), Count(count), Console.Out),
        ["inproc_thr", var size, var count] => await Perf.InprocThroughputAsync(Size(size), Count(count), Console.Out),
        ["inproc_lat", var size, var count] => await Perf.InprocLatencyAsync(Size(size), Count(count), Console.Out),
        ["inproc_control", var size, var count, var rounds] => await MachineControl.RunAsync(Size(size), Count(count), Count(rounds), Console.Out),
        ["handoff_designs", var size, var count, var rounds] => await HandOffDesigns.RunAsync(Size(size), Count(count), Count(rounds), Console.Out),
        _ => Fail(Usage),
    };
}
catch (ArgumentException ex)
{
    return Fail(ex.Message + Environment.NewLine + Usage);
}

static int Size(string text) =>
    int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
    : throw new ArgumentException($"msg-size '{text}' is not a non-negative integer.");

static int Count(string text) =>
    int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
    : throw new ArgumentException($"count '{text}' is not a positive integer.");

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 1;
}
