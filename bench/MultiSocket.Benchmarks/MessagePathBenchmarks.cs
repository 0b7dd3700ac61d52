using BenchmarkDotNet.Attributes;
using MultiSocket;

namespace MultiSocket.Benchmarks;

/// <summary>The path operations every hop performs: prepend the arrival pipe, drop the used destination id, write to the wire.</summary>
[MemoryDiagnoser]
public class MessagePathBenchmarks
{
    private readonly byte[] _wire = new byte[64];
    private MessagePath _short;
    private MessagePath _long;

    [GlobalSetup]
    public void Setup()
    {
        _short = new MessagePath(3, 5);
        _long = new MessagePath(1, 2, 3, 4, 5, 6, 7, 8);
    }

    [Benchmark]
    public MessagePath Prepend() => _short.Prepend(9);

    [Benchmark]
    public MessagePath RemoveFirst() => _short.RemoveFirst();

    [Benchmark]
    public int WriteTo() => _short.WriteTo(_wire);

    [Benchmark]
    public MessagePath FromWire() => MessagePath.FromWire(_wire.AsSpan(0, 8));

    [Benchmark]
    public bool EqualsShort() => _short.Equals(new MessagePath(3, 5));

    /// <summary>Paths beyond four ids live in an array: this one allocates, by design.</summary>
    [Benchmark]
    public MessagePath PrependLong() => _long.Prepend(9);
}
