using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using MultiSocket.Bench;

// Side-by-side benchmark: MultiSocket and NetMQ on identical workloads in one run, one table of figures and ratios.
//   dotnet run -c Release --project bench/MultiSocket.Bench [-- --quick] [--only <text>] [--scale <factor>]
double scale = 1;
string? only = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            scale = 0.05;
            break;
        case "--scale" when i + 1 < args.Length:
            scale = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--only" when i + 1 < args.Length:
            only = args[++i];
            break;
        case "-h" or "--help":
            Console.WriteLine("usage: MultiSocket.Bench [--quick] [--scale <factor>] [--only <workload text>]");
            return 0;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}' (try --help)");
            return 2;
    }
}

var contenders = new Contender[] { new MultiSocketContender(new CoreSocketPatterns()), new NetMQContender() };
var workloads = Workload.All(scale).Where(w => only is null || w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();
Console.Error.WriteLine(
    $"MultiSocket vs NetMQ: {workloads.Count} workloads x {contenders.Length} libraries, scale {scale}; {Environment.ProcessorCount} cores, " +
    $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, MultiSocket via {new CoreSocketPatterns().Description}");

var rows = new List<string[]>();
var total = Stopwatch.StartNew();
int step = 0;
foreach (var workload in workloads)
{
    var figures = new Figures[contenders.Length];
    for (int c = 0; c < contenders.Length; c++)
    {
        step++;
        Console.Error.Write($"[{step,2}/{workloads.Count * contenders.Length}] {workload.Name,-28} {contenders[c].Name,-12}");
        var clock = Stopwatch.StartNew();
        figures[c] = await workload.Run(contenders[c]);
        Console.Error.WriteLine($" {figures[c].Summary,-40} ({clock.Elapsed.TotalSeconds:0.0} s)");
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    rows.AddRange(workload.Rows(figures[0], figures[1]));
}

NetMQ.NetMQConfig.Cleanup(block: false);
Console.Error.WriteLine($"done in {total.Elapsed.TotalSeconds:0} s");
Console.WriteLine();
Table.Print(
    ["workload", "MultiSocket", "NetMQ", "ratio", "target", "met", "MultiSocket B/msg", "NetMQ B/msg"],
    rows);
return 0;
