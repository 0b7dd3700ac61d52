using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using MultiSocket;

namespace MultiSocket.Benchmarks;

/// <summary>
/// The send and receive hot paths of a connected pair of sockets: a batch of sends, then the same number of
/// receives. Per-operation figures are per message. The benchmark methods use the pooling async builder so the
/// harness's own await costs nothing per invocation either.
/// </summary>
[MemoryDiagnoser]
public class SocketBenchmarks
{
    private const int Batch = 32;

    private readonly byte[] _payload = new byte[64];
    private ReadOnlyMemory<byte>[] _contents = [];
    private Socket _sender = null!;
    private Socket _receiver = null!;
    private Socket _requester = null!;
    private Socket _replier = null!;

    [Params("inproc", "tcp")]
    public string Transport { get; set; } = "inproc";

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _contents = Enumerable.Repeat((ReadOnlyMemory<byte>)_payload, Batch).ToArray();
        _receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 4 * Batch });
        _sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 4 * Batch });
        string address = (await _receiver.ListenAsync(Address("thr"))).BoundAddress;
        await _sender.DialAsync(address);

        _replier = new Socket();
        _requester = new Socket();
        address = (await _replier.ListenAsync(Address("lat"))).BoundAddress;
        await _requester.DialAsync(address);
        while (_receiver.PipeCount == 0 || _sender.PipeCount == 0 || _replier.PipeCount == 0 || _requester.PipeCount == 0)
        {
            await Task.Delay(1);
        }
    }

    private string Address(string what) =>
        Transport == "tcp" ? "tcp://127.0.0.1:0" : $"inproc://benchmarks-{what}-{Guid.NewGuid():N}";

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _requester.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _replier.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Send 32 messages of 64 B, receive them on the other socket.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendReceiveBatch()
    {
        for (int i = 0; i < Batch; i++)
        {
            var sent = _sender.SendAsync(_payload);
            if (!sent.IsCompletedSuccessfully)
            {
                await sent;
            }
        }

        await ReceiveBatchAsync();
    }

    /// <summary>The same 32 messages sent with one <see cref="Socket.SendBatchAsync"/> (in process: one hand-off), received one by one.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendBatchReceive()
    {
        var sent = _sender.SendBatchAsync(_contents);
        if (!sent.IsCompletedSuccessfully)
        {
            await sent;
        }

        await ReceiveBatchAsync();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceiveBatchAsync()
    {
        for (int i = 0; i < Batch; i++)
        {
            if (!_receiver.TryReceive(out var message))
            {
                message = await _receiver.ReceiveAsync();
            }

            message.Dispose();
        }
    }

    /// <summary>One request and its reply (send, receive, reply along the source path, receive).</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RoundTrip()
    {
        await _requester.SendAsync(_payload);
        using (var request = await _replier.ReceiveAsync())
        {
            await _replier.SendToAsync(request.Source, request.Content);
        }

        using var reply = await _requester.ReceiveAsync();
    }
}
