using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using MultiSocket.Bench;

// Side-by-side benchmark: MultiSocket and NetMQ on identical workloads in one run, one table of figures and ratios.
//   dotnet run -c Release --project bench/MultiSocket.Bench [-- --quick] [--only <text>] [--scale <factor>] [--warmup <seconds>] [--via core|protocols]
//   --via: the MultiSocket side on the core Socket (default) or on the protocol sockets of MultiSocket.Protocols.
double scale = 1;
double? warmup = null;
bool quick = false;
string? only = null;
IMultiSocketPatterns patterns = new CoreSocketPatterns();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            scale = 0.05;
            quick = true;
            break;
        case "--scale" when i + 1 < args.Length:
            scale = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--warmup" when i + 1 < args.Length:
            warmup = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--only" when i + 1 < args.Length:
            only = args[++i];
            break;
        case "--via" when i + 1 < args.Length:
            switch (args[++i])
            {
                case "core":
                    patterns = new CoreSocketPatterns();
                    break;
                case "protocols":
                    patterns = new ProtocolSocketPatterns();
                    break;
                default:
                    Console.Error.WriteLine($"unknown --via '{args[i]}' (core or protocols)");
                    return 2;
            }

            break;
        case "-h" or "--help":
            Console.WriteLine("usage: MultiSocket.Bench [--quick] [--scale <factor>] [--only <workload text>] [--warmup <seconds>] [--via core|protocols]");
            return 0;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}' (try --help)");
            return 2;
    }
}

// Each contender warms up on each workload for this long first (2 s; --quick 0.2 s unless --warmup is given), and for a
// quarter of it before its second slice (the JIT has tiered up by then; the new sockets' pools still fill).
var fullWarmUp = TimeSpan.FromSeconds(warmup ?? (quick ? 0.2 : 2));
Contender.WarmUpTime = fullWarmUp;
var contenders = new Contender[] { new MultiSocketContender(patterns), new NetMQContender() };
var workloads = Workload.All(scale).Where(w => only is null || w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();

// Each workload runs in two slices per library, in the order MultiSocket, NetMQ, NetMQ, MultiSocket (each slice half the
// messages, round trips or time, with sockets of its own), and each library's figures are those of its two slices
// together. This VM's state (below) switches every few seconds to minutes; run one library after the other, a switch
// between the two runs skewed the ratio, while slices in this order give both libraries the same share of each part
// of the workload's time (and cancel a steady drift).
int[] order = [0, 1, 1, 0];
const int Slices = 2;
Console.Error.WriteLine(
    $"MultiSocket vs NetMQ: {workloads.Count} workloads x {contenders.Length} libraries x {Slices} slices (MultiSocket, NetMQ, NetMQ, MultiSocket), scale {scale}, warm-up {Contender.WarmUpTime.TotalSeconds:0.#} s; {Environment.ProcessorCount} cores, " +
    $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, MultiSocket via {patterns.Description}");

var rows = new List<string[]>();
var watchdog = TimeSpan.FromMinutes(2);
var total = Stopwatch.StartNew();
int step = 0;
// The machine checks before and after every run: this VM's cross-core hand-off cost switches between two levels every
// few seconds to minutes, and every library's figures move with it. CoreToCore times one cache line bounced between
// two spinning threads (the machine alone: ~45-70 ns or ~160-200 ns); ChannelHandoff is the BCL's Channel between two
// tasks (the machine plus the runtime's thread hand-offs). The "machine" column reads the state from the first:
// upper, lower, or mixed when it changed during the run.
int checkCount = quick ? 300_000 : 2_000_000;
var coreCheck = TimeSpan.FromMilliseconds(quick ? 20 : 100);

// Load the machine for a moment before the first row (the check's own hand-offs, for the warm-up time): started cold,
// the first contender of the first row read checks of 2-7 M/s where the second, a minute later, read 11-18.
var machineWarmUp = Stopwatch.StartNew();
while (machineWarmUp.Elapsed < Contender.WarmUpTime)
{
    await ChannelHandoff.RateAsync(checkCount / 4);
}

foreach (var workload in workloads)
{
    var figures = new Figures?[contenders.Length];
    var checks = new List<string>[] { [], [] };
    var states = new List<string>[] { [], [] };
    foreach (int c in order)
    {
        step++;
        int slice = checks[c].Count + 1;
        Console.Error.Write($"[{step,2}/{workloads.Count * order.Length}] {workload.Name,-28} {contenders[c].Name,-12}{slice}/{Slices}");
        Contender.WarmUpTime = slice == 1 ? fullWarmUp : fullWarmUp / 4;
        var clock = Stopwatch.StartNew();
        double coreBefore = CoreToCore.HandOffNanoseconds(coreCheck);
        double before = await ChannelHandoff.RateAsync(checkCount);
        // A watchdog instead of tokens in the hot loops (a cancellable wait allocates, and would show in B/msg).
        var part = await workload.Run(contenders[c], Slices).WaitAsync(watchdog);
        figures[c] = figures[c] is { } earlier ? earlier + part : part;
        double after = await ChannelHandoff.RateAsync(checkCount);
        double coreAfter = CoreToCore.HandOffNanoseconds(coreCheck);
        checks[c].Add(string.Create(CultureInfo.InvariantCulture, $"{before / 1e6:0}->{after / 1e6:0} {coreBefore:0}->{coreAfter:0}ns"));
        states[c].Add(CoreToCore.State(coreBefore, coreAfter));
        Console.Error.WriteLine($" {part.Summary,-40} check {checks[c][^1],-20} {states[c][^1],-5} ({clock.Elapsed.TotalSeconds:0.0} s)");
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    // A library's state over its two slices: upper or lower when both were, else mixed.
    string StateOf(List<string> s) => s.Distinct().Count() == 1 ? s[0] : "mixed";
    bool first = true;
    foreach (var row in workload.Rows(figures[0]!.Value, figures[1]!.Value))
    {
        rows.Add([.. row, first ? string.Join(" / ", states.Select(StateOf)) : "", first ? string.Join(" / ", checks.Select(c => string.Join(", ", c))) : ""]);
        first = false;
    }
}

NetMQ.NetMQConfig.Cleanup(block: false);
Console.Error.WriteLine($"done in {total.Elapsed.TotalSeconds:0} s");
Console.WriteLine();
Table.Print(
    ["workload", "MultiSocket", "NetMQ", "ratio", "target", "met", "MultiSocket B/msg", "NetMQ B/msg", "machine (MS / NetMQ)", "check M/s, core ns (MS / NetMQ)"],
    rows);
return 0;
