using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>Merges the messages of every pipe into one bounded queue that any number of consumers read.</summary>
internal sealed class AllReceiver : Receiver
{
    private static readonly ObjectPool<Waiter> Waiters = new(() => new Waiter(), 256);

    private readonly Channel<Message> _queue;
    private readonly object _owner;
    private readonly Queue<IBlockedWriter> _blockedWriters = new();
    private int _blockedCount;
    private readonly int _resumeAt;
    private readonly int _capacity;
    private volatile bool _completed;

    public AllReceiver(int capacity, object owner)
    {
        _owner = owner;
        _resumeAt = capacity / 2;
        _capacity = capacity;
        _queue = Channel.CreateBounded<Message>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public override ValueTask DeliverAsync(Message message, CancellationToken cancellationToken)
    {
        if (_queue.Writer.TryWrite(message))
        {
            return default;
        }

        return DeliverSlowAsync(message, cancellationToken);
    }

    /// <summary>
    /// The receive queue is full: wait for a consumer to take a message. Pipes wait on pooled <see cref="Waiter"/>s
    /// rather than the channel's own write wait, which allocates whenever the token can be cancelled (and a pipe's
    /// always can), so a consumer slower than the network costs nothing per message.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DeliverSlowAsync(Message message, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Waiter waiter;
                lock (_blockedWriters)
                {
                    // Count ourselves in before the last try: a consumer that frees room after this sees the count
                    // and wakes us; one that freed it before, left room for this try.
                    Interlocked.Increment(ref _blockedCount);
                    if (_queue.Writer.TryWrite(message))
                    {
                        Interlocked.Decrement(ref _blockedCount);
                        return;
                    }

                    if (_completed)
                    {
                        Interlocked.Decrement(ref _blockedCount);
                        throw new ChannelClosedException();
                    }

                    waiter = Waiters.Rent();
                    waiter.Arm(cancellationToken);
                    _blockedWriters.Enqueue(waiter);
                }

                if (!await waiter.WaitAsync().ConfigureAwait(false))
                {
                    // Cancelled: the waiter stays queued until a consumer skips it, so it is not reused.
                    cancellationToken.ThrowIfCancellationRequested();
                }

                Waiters.Return(waiter);
            }
        }
        catch
        {
            // The socket is closing (or the pipe aborted): the message has nowhere to go.
            message.Dispose();
            throw;
        }
    }

    public override bool TryDeliver(Message message) => _queue.Writer.TryWrite(message);

    public override RoomWait WaitForRoom(IBlockedWriter writer)
    {
        lock (_blockedWriters)
        {
            // Count in before looking, as DeliverSlowAsync does: a consumer that takes after this resumes the writer.
            Interlocked.Increment(ref _blockedCount);
            if (_completed || _queue.Reader.Count < _capacity)
            {
                Interlocked.Decrement(ref _blockedCount);
                return _completed ? RoomWait.Completed : RoomWait.RoomNow;
            }

            _blockedWriters.Enqueue(writer);
            return RoomWait.Queued;
        }
    }

    /// <summary>
    /// A message was taken: once the queue has drained to half, let one blocked pipe deliver. Waking a pipe for every
    /// message taken would cost a thread hop per message; from half way it delivers a batch before it waits again.
    /// </summary>
    private void OnTaken()
    {
        // A full fence, paired with the writer's increment before its last try (see DeliverSlowAsync). Below the
        // resume mark the queue is not full, so a writer that counted itself in too late finds room on its last try.
        if (Interlocked.CompareExchange(ref _blockedCount, 0, 0) != 0 && _queue.Reader.Count <= _resumeAt)
        {
            WakeWriter(all: false);
        }
    }

    private void WakeWriter(bool all)
    {
        while (true)
        {
            IBlockedWriter? writer;
            lock (_blockedWriters)
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

    public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_queue.Reader.TryRead(out var message))
        {
            OnTaken();
            return new ValueTask<Message>(message);
        }

        return ReceiveSlowAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Message> ReceiveSlowAsync(CancellationToken cancellationToken)
    {
        try
        {
            var message = await _queue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            OnTaken();
            return message;
        }
        catch (ChannelClosedException)
        {
            return Throw.Disposed<Message>(_owner);
        }
    }

    public override bool TryReceive([NotNullWhen(true)] out Message? message)
    {
        if (_queue.Reader.TryRead(out message))
        {
            OnTaken();
            return true;
        }

        return false;
    }

    public override async IAsyncEnumerable<Message> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryReceive(out var message))
            {
                yield return message;
            }
        }
    }

    public override void Complete()
    {
        _completed = true;
        _queue.Writer.TryComplete();
        WakeWriter(all: true);
    }
}
