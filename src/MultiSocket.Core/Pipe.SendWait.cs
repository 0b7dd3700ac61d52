using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>
/// Senders waiting for room in a byte-stream pipe's send queue. They wait on pooled <see cref="Waiter"/>s and the
/// write loop resumes one only when it has taken half a queue since the last resume (or drained the queue): the
/// channel's own write wait resumes a sender per slot freed, a thread hop per message while the queue is full.
/// </summary>
internal sealed partial class Pipe
{
    private static readonly ObjectPool<Waiter> SendWaiters = new(() => new Waiter(), 256);

    private readonly Queue<Waiter> _blockedSenders = new();
    private int _blockedSenderCount;
    private volatile bool _sendClosed;

    // Write loop only: messages taken since a blocked sender was last resumed.
    private int _takenSinceResume;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask EnqueueSlowAsync(Message message, CancellationToken cancellationToken)
    {
        while (true)
        {
            Waiter waiter;
            lock (_blockedSenders)
            {
                // Count ourselves in before the last try: the write loop reads the count after its TryRead, and both
                // take the queue's lock, so a take that frees room after this try sees us and one before left room.
                Interlocked.Increment(ref _blockedSenderCount);
                if (_output.TryWrite(message))
                {
                    Interlocked.Decrement(ref _blockedSenderCount);
                    return;
                }

                if (_sendClosed)
                {
                    Interlocked.Decrement(ref _blockedSenderCount);
                    throw new ChannelClosedException();
                }

                waiter = SendWaiters.Rent();
                waiter.Arm(cancellationToken);
                _blockedSenders.Enqueue(waiter);
            }

            if (!await waiter.WaitAsync().ConfigureAwait(false))
            {
                // Cancelled: the waiter stays queued until the write loop skips it, so it is not reused.
                cancellationToken.ThrowIfCancellationRequested();
            }

            SendWaiters.Return(waiter);
        }
    }

    /// <summary>The write loop took a message: resume a blocked sender once half a queue has gone out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnSendTaken()
    {
        if (Volatile.Read(ref _blockedSenderCount) != 0 && ++_takenSinceResume >= _resumeSendAfter)
        {
            _takenSinceResume = 0;
            ResumeSenders(all: false);
        }
    }

    /// <summary>The write loop found the queue empty: nothing must stay blocked on it.</summary>
    private void OnSendDrained()
    {
        if (Volatile.Read(ref _blockedSenderCount) != 0)
        {
            _takenSinceResume = 0;
            ResumeSenders(all: true);
        }
    }

    /// <summary>The queue takes no more messages: fail every blocked sender (they get their message back).</summary>
    private void CloseSendWaits()
    {
        _sendClosed = true;
        ResumeSenders(all: true);
    }

    private void ResumeSenders(bool all)
    {
        lock (_blockedSenders)
        {
            while (_blockedSenders.TryDequeue(out var waiter))
            {
                Interlocked.Decrement(ref _blockedSenderCount);
                if (waiter.TrySet(true) && !all)
                {
                    return;
                }
            }
        }
    }
}
