using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/MultiSocket.Benchmarks -- --filter '*'        (all)
// dotnet run -c Release --project bench/MultiSocket.Benchmarks -- --filter '*Codec*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
