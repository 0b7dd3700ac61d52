using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MultiSocket.Internal;

namespace MultiSocket.Transport;

/// <summary>
/// One direction of an in-process connection. While the reading pipe is <em>attached</em>, a write hands the message
/// straight to it: on the writer's thread the reading pipe records itself in the message's path and puts the message
/// in its socket's receive queue, so a message crosses one queue instead of two and no read loop runs.
/// </summary>
/// <remarks>
/// <para>
/// Messages that cannot go straight in wait in the link's own queue, up to the writer's send queue size: those sent
/// before the reading pipe exists (a dialer may send before the listening socket accepts), and those sent while the
/// receiving socket's queue is full. A write that finds the receive queue full detaches the reader and queues; the
/// receiving socket's consumer, once it has drained its queue to half, resumes the link
/// (<see cref="IBlockedWriter.Resume"/>): writers blocked on the link's queue are released and move the queued messages
/// in on their next write, or, with none blocked, the consumer moves them in itself. The reader is re-attached once
/// the link's queue is empty. Every change of
/// mode happens under the link's lock with the queue empty, so each writer's messages keep their order.
/// </para>
/// <para>
/// A pipe thus buffers up to its send queue size plus the peer's receive queue, as a byte-stream pipe does, and a
/// writer waits (on a pooled waiter) only when the link's queue is full.
/// </para>
/// </remarks>
internal sealed class MessageLink(int capacity) : IOutbox, IBlockedWriter
{
    private const int Open = 0;
    private const int Completing = 1;
    private const int Closed = 2;

    private readonly Lock _gate = new();
    private readonly Queue<Message> _queue = new();
    private readonly Queue<WaiterEntry> _blocked = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Set while writes may go straight to the reader: it has attached and the queue is empty.
    private volatile Pipe? _direct;
    private Pipe? _reader;
    private bool _waitingForRoom;
    private volatile int _state;

    /// <summary>True while the reading pipe takes writes directly (for tests).</summary>
    public bool IsDirect => _direct is not null;

    /// <summary>
    /// Hands over a run of new messages (<see cref="Pipe.TryArriveRun"/>) while the reader takes writes directly, that
    /// is with nothing queued, so a run never overtakes messages waiting in the link. Returns how many went;
    /// <see cref="Pipe.RunQueueFull"/> when the receive queue is full; 0 when none could go as a run (the caller sends
    /// them one by one through <see cref="TryWrite"/>).
    /// </summary>
    public int TryWriteRun(IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl)
    {
        var direct = _direct;
        return direct is not null && _state == Open ? direct.TryArriveRun(contents, index, ttl) : 0;
    }

    /// <summary>Hands over a message if there is room; false when the link's queue is full or the link is closing.</summary>
    /// <remarks>On success the link owns the message; on failure the caller still does, unchanged.</remarks>
    public bool TryWrite(Message message)
    {
        var direct = _direct;
        if (direct is not null && _state == Open && direct.RefuseArrival(message) is null && direct.TryArrive(message))
        {
            return true;
        }

        lock (_gate)
        {
            if (_state != Open)
            {
                return false;
            }

            if (_direct is null && _reader is not null && !_waitingForRoom)
            {
                // Queued messages wait for a receive queue that has room now (or that was never asked): the writer
                // moves them in, so the consumer only ever takes messages.
                MoveInLocked();
                if (_state != Open)
                {
                    return false;
                }
            }

            var reader = _direct;
            if (reader is not null)
            {
                if (reader.RefuseArrival(message) is { } error)
                {
                    // Like a bad frame: the send succeeded, the message is gone and the reading pipe closes.
                    message.Dispose();
                    CloseLocked(error);
                    return true;
                }

                if (reader != direct && reader.TryArrive(message))
                {
                    return true;
                }

                // The receive queue is full: queue from here on, until the consumer has moved the queue in.
                _direct = null;
                _queue.Enqueue(message);
                if (WaitForRoomLocked(reader))
                {
                    MoveInLocked();
                }

                return true;
            }

            if (_queue.Count >= capacity)
            {
                return false;
            }

            _queue.Enqueue(message);
            return true;
        }
    }

    /// <summary>Hands over a message, waiting for room.</summary>
    /// <exception cref="ChannelClosedException">The link closed first (the message is still the caller's, unchanged).</exception>
    public ValueTask WriteAsync(Message message, CancellationToken cancellationToken) =>
        TryWrite(message) ? default : WriteSlowAsync(message, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSlowAsync(Message message, CancellationToken cancellationToken)
    {
        // Spin briefly before parking: the consumer resumes the link within microseconds when it is keeping up, and
        // a parked writer costs a thread hop to wake.
        var spinner = new SpinWait();
        while (!spinner.NextSpinWillYield)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (!_waitingForRoom && TryWrite(message))
            {
                return;
            }
        }

        do
        {
            if (!await WaitForRoomAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new ChannelClosedException();
            }
        }
        while (!TryWrite(message));
    }

    /// <summary>Waits until a write may find room; false when the link is closing.</summary>
    public ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_state != Open)
            {
                return new ValueTask<bool>(false);
            }

            if (_direct is not null || _queue.Count < capacity)
            {
                return new ValueTask<bool>(true);
            }

            waiter = Waiter.Rent(cancellationToken);
            WaiterEntry.Enqueue(_blocked, WaiterEntry.For(waiter));
        }

        return WaitAsync(waiter, cancellationToken);
    }

    /// <summary>
    /// Queues <paramref name="entry"/> to be set once a write may find room, as a blocked writer is; the waiter may be
    /// queued on other pipes too (a send that any of them may take).
    /// </summary>
    public RoomWait AddRoomWaiter(WaiterEntry entry)
    {
        lock (_gate)
        {
            if (_state != Open)
            {
                return RoomWait.Completed;
            }

            if (_direct is not null || _queue.Count < capacity)
            {
                return RoomWait.RoomNow;
            }

            WaiterEntry.Enqueue(_blocked, entry);
            return RoomWait.Queued;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await Waiter.WaitThenReturnAsync(waiter, cancellationToken).ConfigureAwait(false);
        return _state == Open;
    }

    /// <summary>
    /// The reading side: moves in what was written before <paramref name="reader"/> attached, then lets writes go
    /// straight to it. Completes when the writer has completed and everything written was delivered, or the link
    /// closed; faults with the error the link was closed with.
    /// </summary>
    public Task AttachAsync(Pipe reader)
    {
        lock (_gate)
        {
            if (_state != Closed)
            {
                _reader = reader;
                MoveInLocked();
            }
        }

        return _done.Task;
    }

    /// <summary>The writer sends no more: the reader ends once it has been given what was written.</summary>
    public void CompleteWriting()
    {
        lock (_gate)
        {
            if (_state != Open)
            {
                return;
            }

            _state = Completing;
            if (_queue.Count == 0)
            {
                _done.TrySetResult();
            }

            ReleaseWritersLocked();
        }
    }

    /// <summary>
    /// Closes now: queued messages are dropped, blocked writers fail, and the reader ends (with
    /// <paramref name="error"/>, when given).
    /// </summary>
    public void Close(Exception? error = null)
    {
        lock (_gate)
        {
            CloseLocked(error);
        }
    }

    private void CloseLocked(Exception? error)
    {
        if (_state == Closed)
        {
            return;
        }

        _state = Closed;
        _direct = null;
        while (_queue.TryDequeue(out var message))
        {
            message.Dispose();
        }

        if (error is null)
        {
            _done.TrySetResult();
        }
        else
        {
            _done.TrySetException(error);
        }

        ReleaseWritersLocked();
    }

    /// <summary>The receiving socket's consumer has made room: move the queue in (on the consumer's thread).</summary>
    bool IBlockedWriter.Resume()
    {
        lock (_gate)
        {
            // A writer blocked on the full link moves the queue in itself on its next try (see TryWrite), which leaves
            // the consumer free to take; with none waiting, nobody else may come, so move it in here.
            _waitingForRoom = false;
            if (!ReleaseOneLocked())
            {
                MoveInLocked();
            }
        }

        return true;
    }

    /// <summary>Moves queued messages into the reader's socket while they fit; attaches the reader once all are in.</summary>
    private void MoveInLocked()
    {
        var reader = _reader;
        if (reader is null || _state == Closed)
        {
            return;
        }

        int moved = 0;
        while (_queue.TryPeek(out var message))
        {
            if (reader.RefuseArrival(message) is { } error)
            {
                _queue.Dequeue();
                message.Dispose();
                CloseLocked(error);
                return;
            }

            if (!reader.TryArrive(message))
            {
                if (WaitForRoomLocked(reader))
                {
                    continue;
                }

                break;
            }

            _queue.Dequeue();
            moved++;
        }

        if (_queue.Count == 0)
        {
            if (_state == Completing)
            {
                _done.TrySetResult();
            }
            else
            {
                _direct = reader;
            }
        }

        if (moved > 0)
        {
            ReleaseWritersLocked();
        }
    }

    /// <summary>Asks the reader's socket to resume this link once it has room; true when it has room already.</summary>
    private bool WaitForRoomLocked(Pipe reader)
    {
        if (_waitingForRoom)
        {
            return false;
        }

        switch (reader.WaitForArrivalRoom(this))
        {
            case RoomWait.Queued:
                _waitingForRoom = true;
                return false;
            case RoomWait.RoomNow:
                return true;
            default:
                // The receiving socket is closing; it closes the pipe, and with it this link.
                return false;
        }
    }

    private bool ReleaseOneLocked()
    {
        while (_blocked.TryDequeue(out var entry))
        {
            if (entry.TrySet(true))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Releases blocked writers: as many as the link's queue has room for (all when it is closing or direct, where
    /// every write goes through). Releasing more would only make them block again; with many writers on a small
    /// queue, releasing all per move-in cost a wake-up per writer per message.
    /// </summary>
    private int ReleaseWritersLocked()
    {
        int room = _state != Open || _direct is not null ? int.MaxValue : capacity - _queue.Count;
        int released = 0;
        while (released < room && _blocked.TryDequeue(out var entry))
        {
            if (entry.TrySet(true))
            {
                released++;
            }
        }

        return released;
    }
}
