using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MultiSocket.Internal;

/// <summary>
/// A byte-stream pipe's send queue: a lock-free ring (<see cref="MessageRing"/>) that any number of senders write and
/// one write loop drains. Senders take a lock only to wait for room, the write loop only to resume them.
/// </summary>
/// <remarks>
/// Blocked senders wait on pooled <see cref="Waiter"/>s, and the reader resumes one only once it has taken half a queue
/// since the last resume, or all of them when it finds the queue empty or the queue completes: resuming a sender per
/// slot freed would cost a thread hop per message while the queue is full. The reader waits on a waiter of its own,
/// which a sender sets only when the reader has said it is waiting, so a busy reader costs senders one fence.
/// </remarks>
internal sealed class SendQueue : IOutbox
{
    private readonly MessageRing _ring;
    private readonly Queue<WaiterEntry> _blocked = new();
    private readonly Lock _blockedLock = new();
    private readonly Waiter _readerWaiter = new();
    private readonly int _resumeAfter;
    private int _blockedCount;
    private int _readerWaiting;
    private volatile bool _completed;

    // Reader only: messages taken since a blocked sender was last resumed.
    private int _takenSinceResume;

    public SendQueue(int capacity)
    {
        _ring = new MessageRing(capacity);
        _resumeAfter = Math.Max(1, capacity / 2);
    }

    /// <summary>Queues a message if there is room; false when the queue is full or completed.</summary>
    public bool TryWrite(Message message)
    {
        if (_completed || !_ring.TryEnqueue(message))
        {
            return false;
        }

        OnWritten();
        return true;
    }

    private volatile PublishLog.Reader? _logReader;

    /// <summary>The publish log this queue's reader also copies from, if any.</summary>
    public PublishLog.Reader? LogReader
    {
        get => _logReader;
        set => _logReader = value;
    }

    /// <summary>
    /// True while a sender is between claiming the head slot and writing its message: the queue is not empty, yet
    /// <see cref="TryPeek"/> finds nothing (and messages queued after it may already be written behind it).
    /// </summary>
    public bool HeadInFlight => _ring.Count > 0 && !_ring.TryPeekSingleConsumer(out _);

    /// <summary>True when no sender has claimed a slot the reader has not taken.</summary>
    public bool IsEmpty => _ring.Count == 0;

    /// <summary>True once <see cref="CompleteWriting"/> was called.</summary>
    public bool IsCompleted => _completed;

    private bool LogHasData => _logReader is { } log && log.HasData;

    /// <summary>Something was published for the reader (a message or a log frame): wake it if it waits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WakeReader() => OnWritten();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnWritten()
    {
        // The enqueue's compare-exchange on the ring's tail is the full fence between publishing and looking for the
        // reader, paired with the reader's exchange before its last look at the count (head and tail) in
        // WaitToReadAsync: one of the two sees the other. A fence of its own here waited for the slot's store to reach
        // the write loop's core, per message and per pipe.
        if (Volatile.Read(ref _readerWaiting) != 0 && Interlocked.Exchange(ref _readerWaiting, 0) != 0)
        {
            _readerWaiter.TrySet(true);
        }
    }

    /// <summary>Queues a message, waiting for room while the queue is full.</summary>
    /// <exception cref="ChannelClosedException">The queue completed first (the message is still the caller's).</exception>
    public ValueTask WriteAsync(Message message, CancellationToken cancellationToken) =>
        TryWrite(message) ? default : WriteSlowAsync(message, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSlowAsync(Message message, CancellationToken cancellationToken)
    {
        while (true)
        {
            var waiter = WaitForRoom(message, cancellationToken, out bool written);
            if (written)
            {
                return;
            }

            if (waiter is null)
            {
                throw new ChannelClosedException();
            }

            await Waiter.WaitThenReturnAsync(waiter, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Queues <paramref name="entry"/> to be set once the queue has room, as a blocked writer is; the waiter may be queued
    /// on other pipes too (a send that any of them may take).
    /// </summary>
    public RoomWait AddRoomWaiter(WaiterEntry entry)
    {
        lock (_blockedLock)
        {
            // Count in before looking, as WaitForRoom does.
            Interlocked.Increment(ref _blockedCount);
            if (_completed || _ring.Count < _ring.Capacity)
            {
                Interlocked.Decrement(ref _blockedCount);
                return _completed ? RoomWait.Completed : RoomWait.RoomNow;
            }

            EnqueueLocked(entry);
            return RoomWait.Queued;
        }
    }

    /// <summary>
    /// Writes <paramref name="message"/> under the lock, or queues a waiter: <paramref name="done"/> when written, a
    /// waiter to wait on, or neither when completed.
    /// </summary>
    private Waiter? WaitForRoom(Message message, CancellationToken cancellationToken, out bool done)
    {
        // Rented before the lock, which is held only for the count-in, the last try and the queueing: with the reader
        // woken or the pool touched under it, the write loop resuming senders spun on it.
        var waiter = Waiter.Rent(cancellationToken);
        bool closed;
        lock (_blockedLock)
        {
            // Count in before the last try: the reader looks at the count after it has drained the queue (behind a
            // full fence), so a take that frees room after this try sees us and one before left room for it.
            Interlocked.Increment(ref _blockedCount);
            closed = _completed;
            done = !closed && _ring.TryEnqueue(message);
            if (done || closed)
            {
                Interlocked.Decrement(ref _blockedCount);
            }
            else
            {
                EnqueueLocked(WaiterEntry.For(waiter));
            }
        }

        if (done || closed)
        {
            Waiter.ReturnUnused(waiter);
            if (done)
            {
                OnWritten();
            }

            return null;
        }

        return waiter;
    }

    // The caller has counted the entry in.
    private void EnqueueLocked(WaiterEntry entry)
    {
        int dropped = WaiterEntry.Enqueue(_blocked, entry);
        if (dropped != 0)
        {
            Interlocked.Add(ref _blockedCount, -dropped);
        }
    }

    /// <summary>The reader: waits until the queue may hold a message; false once it has completed and is empty.</summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        if (_ring.Count > 0 || LogHasData)
        {
            return new ValueTask<bool>(true);
        }

        if (_completed)
        {
            return new ValueTask<bool>(_ring.Count > 0);
        }

        _readerWaiter.Arm(CancellationToken.None);
        Interlocked.Exchange(ref _readerWaiting, 1);   // a full fence before the last look
        if (_ring.Count > 0 || _completed || LogHasData)
        {
            if (Interlocked.Exchange(ref _readerWaiting, 0) != 0)
            {
                // Nobody took the signal: nothing will set the waiter, so do not wait on it.
                return new ValueTask<bool>(_ring.Count > 0 || !_completed || LogHasData);
            }

            // A sender took it and is setting the waiter: wait for that (it is on its way).
        }

        // Completes with true once set: the caller looks again, and a completed empty queue then answers false.
        return _readerWaiter.WaitAsync();
    }

    /// <summary>The reader takes a message, resuming a blocked sender once it has taken half a queue.</summary>
    /// <remarks>
    /// One reader at a time (the pipe's write loop, then the pipe's close once that loop has ended): the ring's head is
    /// moved without a compare-exchange. Without that fence the look at the blocked count below may come before the
    /// freed slot is visible to a sender counting itself in, so a resume can wait for a later take; OnDrained (fenced)
    /// still resumes everyone once the queue is empty.
    /// </remarks>
    public bool TryRead([NotNullWhen(true)] out Message? message)
    {
        if (!_ring.TryDequeueSingleConsumer(out message))
        {
            return false;
        }

        if (Volatile.Read(ref _blockedCount) != 0 && ++_takenSinceResume >= _resumeAfter)
        {
            // As many senders as slots were freed since the last resume: one sender with a stream of messages fills
            // them all, many senders with one message each need one slot apiece.
            Resume(_takenSinceResume);
            _takenSinceResume = 0;
        }

        return true;
    }

    /// <summary>The message <see cref="TryRead"/> would take next, left in the queue (the reader only).</summary>
    public bool TryPeek([NotNullWhen(true)] out Message? message) => _ring.TryPeekSingleConsumer(out message);

    /// <summary>The reader found the queue empty: nobody must stay blocked on it.</summary>
    public void OnDrained()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _blockedCount) != 0)
        {
            // The whole queue is free: waking more senders than it holds would only make them queue up again (with
            // a thousand senders blocked on a queue of one, waking all on every drain cost a million wake-ups).
            _takenSinceResume = 0;
            Resume(_ring.Capacity);
        }
    }

    /// <summary>
    /// Takes no more messages: blocked senders fail (they keep their message), and the reader ends once it has taken
    /// what is queued.
    /// </summary>
    public void CompleteWriting()
    {
        _completed = true;
        if (Interlocked.Exchange(ref _readerWaiting, 0) != 0)
        {
            _readerWaiter.TrySet(true);
        }

        Resume(int.MaxValue);
    }

    /// <summary>Resumes up to <paramref name="count"/> blocked senders (those still waiting).</summary>
    private void Resume(int count)
    {
        while (count > 0)
        {
            WaiterEntry entry;
            lock (_blockedLock)
            {
                if (!_blocked.TryDequeue(out entry))
                {
                    return;
                }

                Interlocked.Decrement(ref _blockedCount);
            }

            // Outside the lock: setting it queues the sender's continuation, which may wake a thread.
            if (entry.TrySet(true))
            {
                count--;
            }
        }
    }
}
