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

    /// <summary>
    /// Sends each content as a new message with <paramref name="ttl"/>, in order. Runs of small ones go to an
    /// in-process pipe that takes them directly as one receive batch (one hand-off for many messages); the rest go one
    /// by one through <see cref="SendAsync"/>, each finished (queued) before the next is tried, so the order holds.
    /// </summary>
    public ValueTask SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> contents, byte ttl, CancellationToken cancellationToken)
    {
        int index = 0;
        while (index < contents.Count)
        {
            int sent = SendRun(contents, index, ttl);
            if (sent > 0)
            {
                index += sent;
                continue;
            }

            var pending = SendAsync(Message.Create(contents[index].Span, SendType.ToOne, ttl), cancellationToken);
            index++;
            if (!pending.IsCompletedSuccessfully)
            {
                return SendBatchSlowAsync(pending, contents, index, ttl, cancellationToken);
            }

            pending.GetAwaiter().GetResult();
        }

        return default;
    }

    // The same loop once a send had to wait: one frame for the rest of the batch, however many sends wait.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendBatchSlowAsync(
        ValueTask pending, IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl, CancellationToken cancellationToken)
    {
        await pending.ConfigureAwait(false);
        while (index < contents.Count)
        {
            int sent = SendRun(contents, index, ttl);
            if (sent > 0)
            {
                index += sent;
                continue;
            }

            await SendAsync(Message.Create(contents[index].Span, SendType.ToOne, ttl), cancellationToken).ConfigureAwait(false);
            index++;
        }
    }

    // A run from index on as one hand-off, waiting briefly if the receive queue is full; how many went (0: send one).
    private int SendRun(IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl)
    {
        int sent = TrySendRun(contents, index, ttl);
        return sent == Pipe.RunQueueFull ? SpinForRun(contents, index, ttl) : sent;
    }

    /// <summary>
    /// The receive queue was full: try the run again while spinning briefly. Its consumer frees an entry within
    /// microseconds when it keeps up, and a single send instead would queue in the link and detach it, so that the
    /// messages after it went one by one until the consumer caught up. 0 when it is still full (send one by one).
    /// </summary>
    private int SpinForRun(IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl)
    {
        var spinner = new SpinWait();
        while (!spinner.NextSpinWillYield)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            int sent = TrySendRun(contents, index, ttl);
            if (sent != Pipe.RunQueueFull)
            {
                return sent;
            }
        }

        return 0;
    }

    // A run to the next pipe in turn, if it is an in-process pipe that takes one now; how many went.
    private int TrySendRun(IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl)
    {
        if (contents.Count - index < ReceiveBatch.MinFrames)
        {
            return 0;
        }

        var pipes = Socket.PipeList;
        return pipes.Length switch
        {
            0 => 0,
            1 => pipes[0].TrySendRun(contents, index, ttl),
            _ => pipes[(int)(Interlocked.Increment(ref _next) % (uint)pipes.Length)].TrySendRun(contents, index, ttl),
        };
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
