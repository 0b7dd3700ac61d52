using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MultiSocket.Internal;

/// <summary>
/// Senders waiting for room in a single-reader message queue (a byte-stream pipe's send queue, or one direction of
/// an in-process connection). They wait on pooled <see cref="Waiter"/>s, and the reader resumes one only once it has
/// taken half a queue since the last resume, or drained the queue: the channel's own write wait resumes a sender per
/// slot freed, a thread hop per message while the queue is full.
/// </summary>
internal sealed class SendRoom(int capacity)
{
    private static readonly ObjectPool<Waiter> Waiters = new(() => new Waiter(), 256);

    private readonly Queue<Waiter> _blocked = new();
    private readonly int _resumeAfter = Math.Max(1, capacity / 2);
    private int _blockedCount;
    private volatile bool _closed;

    // Reader only: messages taken since a blocked sender was last resumed.
    private int _takenSinceResume;

    /// <summary>Writes a message, waiting for room while the queue is full.</summary>
    /// <exception cref="ChannelClosedException">The queue closed first (the message is still the caller's).</exception>
    public ValueTask WriteAsync(ChannelWriter<Message> queue, Message message, CancellationToken cancellationToken) =>
        queue.TryWrite(message) ? default : WriteSlowAsync(queue, message, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSlowAsync(ChannelWriter<Message> queue, Message message, CancellationToken cancellationToken)
    {
        while (true)
        {
            Waiter waiter;
            lock (_blocked)
            {
                // Count ourselves in before the last try: the reader reads the count after its TryRead, and both take
                // the queue's lock, so a take that frees room after this try sees us and one before left room.
                Interlocked.Increment(ref _blockedCount);
                if (queue.TryWrite(message))
                {
                    Interlocked.Decrement(ref _blockedCount);
                    return;
                }

                if (_closed)
                {
                    Interlocked.Decrement(ref _blockedCount);
                    throw new ChannelClosedException();
                }

                waiter = Waiters.Rent();
                waiter.Arm(cancellationToken);
                _blocked.Enqueue(waiter);
            }

            if (!await waiter.WaitAsync().ConfigureAwait(false))
            {
                // Cancelled: the waiter stays queued until the reader skips it, so it is not reused.
                cancellationToken.ThrowIfCancellationRequested();
            }

            Waiters.Return(waiter);
        }
    }

    /// <summary>The reader took a message: resume a blocked sender once half a queue has gone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnTaken()
    {
        if (Volatile.Read(ref _blockedCount) != 0 && ++_takenSinceResume >= _resumeAfter)
        {
            _takenSinceResume = 0;
            Resume(all: false);
        }
    }

    /// <summary>The reader found the queue empty: nobody must stay blocked on it.</summary>
    public void OnDrained()
    {
        if (Volatile.Read(ref _blockedCount) != 0)
        {
            _takenSinceResume = 0;
            Resume(all: true);
        }
    }

    /// <summary>The queue takes no more messages: fail every blocked sender (they get their message back).</summary>
    public void Close()
    {
        _closed = true;
        Resume(all: true);
    }

    private void Resume(bool all)
    {
        lock (_blocked)
        {
            while (_blocked.TryDequeue(out var waiter))
            {
                Interlocked.Decrement(ref _blockedCount);
                if (waiter.TrySet(true) && !all)
                {
                    return;
                }
            }
        }
    }
}
