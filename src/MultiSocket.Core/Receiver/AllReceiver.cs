using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>
/// Merges the messages of every pipe into one bounded queue that any number of consumers read. The queue is a
/// lock-free ring (<see cref="MessageRing"/>): producers (pipes, in-process senders) and consumers meet only on it,
/// and take a lock only to wait, when it is full or empty.
/// </summary>
internal sealed class AllReceiver : Receiver
{
    private readonly MessageRing _queue;
    private readonly object _owner;
    private readonly Queue<IBlockedWriter> _blockedWriters = new();
    private readonly Queue<Waiter> _blockedReaders = new();
    private readonly Lock _writersLock = new();
    private readonly Lock _readersLock = new();
    private readonly int _resumeAt;
    private int _blockedCount;
    private int _waitingReaders;
    private volatile bool _completed;
    private Func<Message, bool>? _interceptor;

    public AllReceiver(int capacity, object owner)
    {
        _owner = owner;
        _resumeAt = capacity / 2;
        _queue = new MessageRing(capacity);
    }

    /// <summary>
    /// Gives every arriving message to <paramref name="take"/> first, on the delivering thread (a pipe's read loop, an
    /// in-process sender); a message it takes (true) is its own and never reaches the queue. For protocols that route
    /// arrivals themselves (replies to their requests): one thread hop less than a loop reading the queue. It must be
    /// quick and must not block. Set before the socket connects: pipes made before it queue receive batches, which the
    /// interceptor would not see.
    /// </summary>
    public void Intercept(Func<Message, bool> take) => _interceptor = take;

    /// <summary>Batches are decoded by consumers, which an interceptor would not see: only without one.</summary>
    public override bool AcceptsBatches => _interceptor is null;

    public override bool LooksFull => _queue.Count >= _queue.Capacity;

    public override ValueTask DeliverAsync(Message message, CancellationToken cancellationToken) =>
        TryDeliver(message) ? default : DeliverSlowAsync(message, cancellationToken);

    public override bool TryDeliver(Message message)
    {
        if (_interceptor is { } take && take(message))
        {
            return true;
        }

        if (_completed || !_queue.TryEnqueue(message))
        {
            return false;
        }

        OnDelivered();
        return true;
    }

    /// <summary>
    /// A message was published: wake a waiting reader. The enqueue's compare-exchange on the ring's tail is the full
    /// fence before looking for waiting readers, paired with the reader's count-in before its last look at the count
    /// (head and tail, see WaitForMessageAsync): one of the two sees the other. No fence of its own: one here waited
    /// for the slot's store to reach the consumer's core and took half the sender's time (inproc 64 B).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnDelivered()
    {
        if (Volatile.Read(ref _waitingReaders) != 0)
        {
            WakeReader(all: false);
        }
    }

    /// <summary>
    /// The receive queue is full: wait for a consumer to take a message. Pipes wait on pooled <see cref="Waiter"/>s,
    /// so a consumer slower than the network costs nothing per message.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DeliverSlowAsync(Message message, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // Rented before the lock, which is held only for the count-in, the last try and the queueing: a
                // reader woken or a pool touched under it made the consumer that resumes writers spin on it.
                var waiter = Waiter.Rent(cancellationToken);
                bool delivered, closed;
                lock (_writersLock)
                {
                    // Count ourselves in before the last try: a consumer that frees room after this sees the count
                    // and wakes us; one that freed it before, left room for this try.
                    Interlocked.Increment(ref _blockedCount);
                    closed = _completed;
                    delivered = !closed && _queue.TryEnqueue(message);
                    if (delivered || closed)
                    {
                        Interlocked.Decrement(ref _blockedCount);
                    }
                    else
                    {
                        _blockedWriters.Enqueue(waiter);
                    }
                }

                if (delivered || closed)
                {
                    Waiter.ReturnUnused(waiter);
                    if (closed)
                    {
                        throw new ChannelClosedException();
                    }

                    OnDelivered();
                    return;
                }

                await Waiter.WaitThenReturnAsync(waiter, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // The socket is closing (or the pipe aborted): the message has nowhere to go. (A batch's entry stays its.)
            if (message.Batch is null)
            {
                message.Dispose();
            }

            throw;
        }
    }

    public override RoomWait WaitForRoom(IBlockedWriter writer)
    {
        lock (_writersLock)
        {
            // Count in before looking, as DeliverSlowAsync does: a consumer that takes after this resumes the writer.
            Interlocked.Increment(ref _blockedCount);
            if (_completed || _queue.Count < _queue.Capacity)
            {
                Interlocked.Decrement(ref _blockedCount);
                return _completed ? RoomWait.Completed : RoomWait.RoomNow;
            }

            _blockedWriters.Enqueue(writer);
            return RoomWait.Queued;
        }
    }

    /// <summary>
    /// A message was taken: once the queue has drained to half, let one blocked writer deliver. Waking one for every
    /// message taken would cost a thread hop per message; from half way it delivers a batch before it waits again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnTaken()
    {
        // The dequeue's compare-exchange on the head is the full fence, paired with the writer's count-in before its
        // last try. That try can still miss the slot this take frees (its release is stored after the exchange) while
        // this look misses the count; but the writer saw the queue full, so the next take's exchange, which publishes
        // that release, comes after the count-in and sees it, and the queue still has to drain to the resume mark.
        // With a capacity of one there is no next take: fence then.
        if (_resumeAt == 0)
        {
            Interlocked.MemoryBarrier();
        }

        if (Volatile.Read(ref _blockedCount) != 0 && _queue.Count <= _resumeAt)
        {
            WakeWriter(all: false);
        }
    }

    private void WakeWriter(bool all)
    {
        while (true)
        {
            IBlockedWriter? writer;
            lock (_writersLock)
            {
                if (!_blockedWriters.TryDequeue(out writer))
                {
                    return;
                }

                Interlocked.Decrement(ref _blockedCount);
            }

            // Outside the lock: an in-process link resumes by moving its queued messages in, on this thread.
            if (writer.Resume() && !all)
            {
                return;
            }
        }
    }

    private void WakeReader(bool all)
    {
        while (true)
        {
            Waiter? waiter;
            lock (_readersLock)
            {
                if (!_blockedReaders.TryDequeue(out waiter))
                {
                    return;
                }

                Interlocked.Decrement(ref _waitingReaders);
            }

            // Outside the lock: setting it queues the reader's continuation, which may wake a thread.
            if (waiter.TrySet(true) && !all)
            {
                return;
            }
        }
    }

    public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken) =>
        TryReceive(out var message) ? new ValueTask<Message>(message) : ReceiveSlowAsync(cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Message> ReceiveSlowAsync(CancellationToken cancellationToken)
    {
        if (SpinForMessage(out var first))
        {
            return first;
        }

        // A wait can end with nothing to take: another consumer took it, or it is still being queued or decoded (a
        // producer between its claim and its store, a consumer decoding from the batch). Back off before looking again.
        var spinner = new SpinWait();
        while (true)
        {
            if (!await WaitForMessageAsync(cancellationToken).ConfigureAwait(false))
            {
                return Throw.Disposed<Message>(_owner);
            }

            if (TryReceive(out var message))
            {
                return message;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Spins briefly for a message before the caller parks: a busy producer publishes within a microsecond or two,
    /// while waking a parked consumer costs a thread hop, often longer than the producer takes to fill the queue.
    /// Not while the thread pool has work queued: that work is likely what would produce the message (a read loop, a
    /// sender), and spinning kept a worker from it. With four subscribers on two cores the spin was 6 % of all CPU
    /// samples, and without it the pub/sub row went from ~1.1 M to ~1.25 M msg/s per subscriber.
    /// </summary>
    private bool SpinForMessage([NotNullWhen(true)] out Message? message)
    {
        var spinner = new SpinWait();
        while (!spinner.NextSpinWillYield && ThreadPool.PendingWorkItemCount == 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (TryReceive(out message))
            {
                return true;
            }
        }

        message = null;
        return false;
    }

    /// <summary>Waits until the queue may hold a message; false once it is completed and empty.</summary>
    private ValueTask<bool> WaitForMessageAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_readersLock)
        {
            // Count in (a full fence) before the last look: a producer that publishes after this sees the count.
            Interlocked.Increment(ref _waitingReaders);
            if (_queue.Count > 0 || _completed)
            {
                Interlocked.Decrement(ref _waitingReaders);
                return new ValueTask<bool>(_queue.Count > 0);
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = Waiter.Rent(cancellationToken);
            _blockedReaders.Enqueue(waiter);
        }

        return WaitAsync(waiter, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await Waiter.WaitThenReturnAsync(waiter, cancellationToken).ConfigureAwait(false);
        return !_completed || _queue.Count > 0;
    }

    /// <summary>
    /// Takes the message at the head of the queue; or, when the head is a <see cref="ReceiveBatch"/>, the batch's next
    /// message, the batch staying at the head until its last one is taken. So messages leave the queue in the order they
    /// entered it, for one consumer or several.
    /// </summary>
    public override bool TryReceive([NotNullWhen(true)] out Message? message)
    {
        if (!_queue.TryPeek(out long position, out var head))
        {
            message = null;
            return false;
        }

        if (head.Batch is null && _queue.TryTakeHead(position))
        {
            OnTaken();
            message = head;
            return true;
        }

        return TryReceiveContended(position, head, out message);
    }

    // The head is a batch, or another consumer took the head first.
    private bool TryReceiveContended(long position, Message head, [NotNullWhen(true)] out Message? message)
    {
        var spinner = new SpinWait();
        while (true)
        {
            if (head.Batch is { } batch)
            {
                // The generation read while the batch's entry is still at the head is the one it was queued with (a
                // batch is reused only once its entry has left the queue).
                int generation = batch.Generation;
                if (_queue.IsHead(position))
                {
                    switch (batch.TryTake(generation, out message))
                    {
                        case ReceiveBatch.Take.Message when message is not null:
                            // More in the batch: a consumer waiting meanwhile (several at once) may take the next.
                            if (Volatile.Read(ref _waitingReaders) != 0)
                            {
                                WakeReader(all: false);
                            }

                            return true;
                        case ReceiveBatch.Take.Last when message is not null:
                            // Only the consumer that takes the last message moves the head past a batch.
                            _queue.TryTakeHead(position);
                            OnTaken();
                            batch.Finish();
                            return true;
                        case ReceiveBatch.Take.Busy:
                            // Another consumer is decoding the next message: a moment.
                            spinner.SpinOnce(sleep1Threshold: -1);
                            break;
                    }
                }
            }
            else if (_queue.TryTakeHead(position))
            {
                OnTaken();
                message = head;
                return true;
            }

            if (!_queue.TryPeek(out position, out var next))
            {
                message = null;
                return false;
            }

            head = next;
        }
    }

    public override async IAsyncEnumerable<Message> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var spinner = new SpinWait();
        do
        {
            bool any = false;
            while (TryReceive(out var message))
            {
                any = true;
                yield return message;
            }

            if (any)
            {
                spinner.Reset();
            }
            else
            {
                // As in ReceiveSlowAsync: the wait ended with nothing to take.
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
        while (await WaitForMessageAsync(cancellationToken).ConfigureAwait(false));
    }

    public override void Complete()
    {
        _completed = true;
        WakeWriter(all: true);
        WakeReader(all: true);
    }
}
