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
        if (count > 0)
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

                try
                {
                    await pipes[(int)(start % (uint)pipes.Length)].EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (ChannelClosedException)
                {
                    // That pipe is closing; it leaves the list shortly. Try the others.
                    Socket.ThrowIfDisposed();
                    await Task.Yield();
                }
            }
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }
}
