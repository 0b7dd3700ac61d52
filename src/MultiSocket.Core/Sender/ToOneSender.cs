using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MultiSocket;

/// <summary>
/// Sends each message to one pipe: round robin over the pipes, skipping those whose queue is full, so an idle pipe
/// takes the next message and a slow peer is passed over. With every queue full it waits for room (or drops, when
/// best-effort); with no pipe at all it waits for one.
/// </summary>
internal sealed class ToOneSender(Socket socket) : Sender(socket)
{
    private uint _next;

    public override ValueTask SendAsync(Message message, CancellationToken cancellationToken)
    {
        var pipes = Socket.PipeList;
        int count = pipes.Length;
        if (count == 1)
        {
            // One pipe: no turn to take (and no interlocked operation per message).
            if (pipes[0].TryEnqueue(message))
            {
                return default;
            }
        }
        else if (count > 0)
        {
            uint start = Interlocked.Increment(ref _next);
            for (int i = 0; i < count; i++)
            {
                if (pipes[(int)((start + (uint)i) % (uint)count)].TryEnqueue(message))
                {
                    return default;
                }
            }
        }

        if (BestEffort)
        {
            Drop(message);
            return default;
        }

        return SendSlowAsync(message, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(Message message, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var pipes = Socket.PipeList;
                if (pipes.Length == 0)
                {
                    await Socket.WaitForPipeAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                uint start = Interlocked.Increment(ref _next);
                for (int i = 0; i < pipes.Length; i++)
                {
                    if (pipes[(int)((start + (uint)i) % (uint)pipes.Length)].TryEnqueue(message))
                    {
                        return;
                    }
                }

                if (pipes.Length == 1)
                {
                    // One pipe: nobody else could take the message, so simply wait for room in it.
                    try
                    {
                        await pipes[0].EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    catch (ChannelClosedException)
                    {
                        // The pipe is closing; it leaves the list shortly.
                        Socket.ThrowIfDisposed();
                        await Task.Yield();
                        continue;
                    }
                }

                await WaitForRoomAsync(pipes, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every queue is full: waits until any pipe has room or a new pipe joins. Waiting on one pipe picked in advance
    /// would let a peer that stopped reading hold up sends that another peer could take.
    /// </summary>
    private async Task WaitForRoomAsync(Pipe[] pipes, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = new Task[pipes.Length + 1];
        for (int i = 0; i < pipes.Length; i++)
        {
            waits[i] = pipes[i].WaitForRoomAsync(waiting.Token).AsTask();
        }

        var joined = Socket.WaitForPipeAsync(waiting.Token);
        waits[^1] = joined;
        var first = await Task.WhenAny(waits).ConfigureAwait(false);
        waiting.Cancel();

        // Observe the pipe-joined wait (it faults with ObjectDisposedException if the socket closes); checked below.
        _ = joined.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

        cancellationToken.ThrowIfCancellationRequested();
        Socket.ThrowIfDisposed();
        if (first is Task<bool> { IsCompletedSuccessfully: true, Result: false })
        {
            // That pipe is closing; it leaves the list shortly.
            await Task.Yield();
        }
    }
}
