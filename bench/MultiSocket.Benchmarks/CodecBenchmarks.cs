using System.Buffers;
using BenchmarkDotNet.Attributes;
using MultiSocket;

namespace MultiSocket.Benchmarks;

/// <summary>Encoding and decoding one native frame (a to-destination reply with a one-id source, like req/rep).</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _writer = new(128 * 1024);
    private Message _message = null!;
    private ReadOnlySequence<byte> _frame;
    private FrameDecoder _decoder = null!;

    [Params(64, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _message = Message.Create(new byte[Size], SendType.ToDestination);
        _message.Source = new MessagePath(7);
        _message.Destination = new MessagePath(3, 5);
        _frame = new ReadOnlySequence<byte>(FrameEncoder.ToArray(_message));
        _decoder = new FrameDecoder(1, 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _message.Dispose();
        _decoder.Dispose();
    }

    [Benchmark]
    public int Encode()
    {
        _writer.ResetWrittenCount();
        FrameEncoder.Write(_writer, _message);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int Decode()
    {
        var buffer = _frame;
        if (!_decoder.TryDecode(ref buffer, out var message))
        {
            throw new InvalidOperationException("The frame did not decode.");
        }

        int length = message.Length;
        message.Dispose();
        return length;
    }
}
