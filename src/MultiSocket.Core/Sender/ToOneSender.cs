using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MultiSocket.Internal;

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
    /// would let a peer that stopped reading hold up sends that another peer could take. One pooled waiter is queued on
    /// every pipe and with the socket, and the first to set it wins (the entries left in the others are skipped), so
    /// the wait allocates nothing; it was a linked token source and a task per pipe per wait.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForRoomAsync(Pipe[] pipes, CancellationToken cancellationToken)
    {
        var waiter = Waiter.Rent(cancellationToken);
        var entry = WaiterEntry.For(waiter);
        bool closing = false;
        foreach (var pipe in pipes)
        {
            var wait = pipe.AddRoomWaiter(entry);
            if (wait != RoomWait.Queued)
            {
                // Room now (try again), or a pipe closing (it leaves the list shortly).
                closing = wait == RoomWait.Completed;
                entry.TrySet(true);
                break;
            }
        }

        if (entry.IsWaiting)
        {
            Socket.AddPipeWaiter(entry, pipes);
        }

        await Waiter.WaitThenReturnAsync(waiter, cancellationToken).ConfigureAwait(false);
        Socket.ThrowIfDisposed();
        if (closing)
        {
            await Task.Yield();
        }
    }
}
