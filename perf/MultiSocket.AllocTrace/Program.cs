// Which code allocates? Reads a trace taken with `dotnet-trace collect --profile gc-verbose` and prints the sampled
// allocations (one GCAllocationTick event per ~100 KB allocated) grouped by type and the top of the call stack.
//
//   dotnet-trace collect --profile gc-verbose -o t.nettrace -- dotnet perf/MultiSocket.Perf/bin/Release/net10.0/MultiSocket.Perf.dll ...
//   dotnet run -c Release --project perf/MultiSocket.AllocTrace -- t.nettrace [top] [frames]
using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length is < 1 or > 3 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: MultiSocket.AllocTrace <trace.nettrace> [top (default 15)] [frames (default 8)]");
    return 1;
}

int top = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
int depth = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
var samples = new Dictionary<string, int>(StringComparer.Ordinal);
string etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using (var log = new TraceLog(etlx))
{
    foreach (var e in log.Events)
    {
        if (e is not GCAllocationTickTraceData tick)
        {
            continue;
        }

        var frames = new List<string>(depth);
        for (var frame = e.CallStack(); frame is not null && frames.Count < depth; frame = frame.Caller)
        {
            string name = frame.CodeAddress.FullMethodName;
            if (name.Length > 0)
            {
                frames.Add(name);
            }
        }

        string key = $"{tick.TypeName}{Environment.NewLine}      <- {string.Join($"{Environment.NewLine}      <- ", frames)}";
        samples[key] = samples.GetValueOrDefault(key) + 1;
    }
}

File.Delete(etlx);
int total = samples.Values.Sum();
Console.WriteLine($"{total} allocation samples (~100 KB each)");
foreach (var (key, count) in samples.OrderByDescending(s => s.Value).Take(top))
{
    Console.WriteLine($"{count,6}  {key}");
}

return 0;
