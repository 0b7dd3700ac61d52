using System.Diagnostics;

namespace MultiSocket.Perf;

/// <summary>
/// An in-process push/pull pair on the core <see cref="Socket"/>, as the bench's inproc rows run it: one task sends,
/// another receives (<see cref="Socket.TryReceive"/> first, then <see cref="Socket.ReceiveAsync"/>) and disposes.
/// </summary>
internal sealed class InprocPushPull : IAsyncDisposable
{
    private readonly Socket _receiver = new(new SocketOptions { NoSend = true });
    private readonly Socket _sender = new(new SocketOptions { NoReceive = true });

    private InprocPushPull()
    {
    }

    /// <summary>A connected pair on a process-unique in-process address named after <paramref name="what"/>.</summary>
    public static async Task<InprocPushPull> OpenAsync(string what)
    {
        var pair = new InprocPushPull();
        try
        {
            string address = $"inproc://perf-{what}-{Environment.ProcessId}";
            await pair._receiver.ListenAsync(address);
            await pair._sender.DialAsync(address);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Messages per second of <paramref name="count"/> sends of <paramref name="payload"/>, received by another task.</summary>
    public async Task<double> RateAsync(byte[] payload, int count)
    {
        long start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Task.Run(() => SendAsync(payload, count)), Task.Run(() => ReceiveAsync(count)));
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// As <see cref="RateAsync"/>, with the sends made <paramref name="batch"/> at a time through
    /// <see cref="Socket.SendBatchAsync"/> (count rounded down to whole batches); the receiving side is the same.
    /// </summary>
    public async Task<double> RateBatchedAsync(byte[] payload, int count, int batch)
    {
        int batches = count / batch;
        var contents = Enumerable.Repeat((ReadOnlyMemory<byte>)payload, batch).ToArray();
        long start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Task.Run(() => SendBatchesAsync(contents, batches)), Task.Run(() => ReceiveAsync(batches * batch)));
        return batches * batch / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public async ValueTask DisposeAsync()
    {
        await _sender.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private async Task SendAsync(byte[] payload, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var sent = _sender.SendAsync(payload);
            if (!sent.IsCompletedSuccessfully)
            {
                await sent;
            }
        }
    }

    private async Task SendBatchesAsync(ReadOnlyMemory<byte>[] contents, int batches)
    {
        for (int i = 0; i < batches; i++)
        {
            var sent = _sender.SendBatchAsync(contents);
            if (!sent.IsCompletedSuccessfully)
            {
                await sent;
            }
        }
    }

    private async Task ReceiveAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!_receiver.TryReceive(out var message))
            {
                message = await _receiver.ReceiveAsync();
            }

            message.Dispose();
        }
    }
}
