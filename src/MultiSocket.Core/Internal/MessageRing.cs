using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MultiSocket.Internal;

/// <summary>
/// A bounded lock-free queue for any number of producers and consumers (Dmitry Vyukov's bounded MPMC queue): each
/// slot carries a sequence number that tells producers and consumers whose turn it is, so an enqueue or a dequeue is
/// one compare-exchange on its own position, with no lock shared between the two sides.
/// </summary>
internal sealed class MessageRing
{
    private readonly Slot[] _slots;
    private readonly int _capacity;
    private readonly int _mask;
    private readonly bool _bounded;
    private Positions _positions;

    public MessageRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;

        // A power of two of at least two slots: indexes are a mask, and with one slot "written" and "free for the
        // next lap" would be the same sequence number. When that is more than the capacity, enqueue checks the count.
        int slots = (int)Math.Max(2, BitOperations.RoundUpToPowerOf2((uint)capacity));
        _mask = slots - 1;
        _bounded = slots != capacity;
        _slots = new Slot[slots];
        for (int i = 0; i < slots; i++)
        {
            _slots[i].Sequence = i;
        }
    }

    public int Capacity => _capacity;

    /// <summary>Messages in the queue (a snapshot; exact only while nobody enqueues or dequeues).</summary>
    public int Count
    {
        get
        {
            long head = Volatile.Read(ref _positions.Head);
            long tail = Volatile.Read(ref _positions.Tail);
            return (int)Math.Clamp(tail - head, 0, _capacity);
        }
    }

    public bool TryEnqueue(Message message)
    {
        var slots = _slots;
        long position = Volatile.Read(ref _positions.Tail);
        while (true)
        {
            ref var slot = ref slots[Index(position)];
            long turn = Volatile.Read(ref slot.Sequence) - position;
            if (turn == 0)
            {
                if (_bounded && position - Volatile.Read(ref _positions.Head) >= _capacity)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref _positions.Tail, position + 1, position) == position)
                {
                    slot.Item = message;
                    Volatile.Write(ref slot.Sequence, position + 1);
                    return true;
                }
            }
            else if (turn < 0)
            {
                // The slot still holds the message from one lap ago: full.
                return false;
            }

            position = Volatile.Read(ref _positions.Tail);
        }
    }

    /// <summary>Takes the head message; false when the ring is empty. A peek and a take of the position peeked.</summary>
    public bool TryDequeue([NotNullWhen(true)] out Message? message)
    {
        while (TryPeek(out long position, out message))
        {
            if (TryTakeHead(position))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The message at the head without taking it, for consumers that take a head entry in several steps (a receive
    /// batch stays at the head until its last message is taken). False when the ring is empty. The message is only the
    /// head's while <see cref="IsHead"/> says so: another consumer may take it meanwhile.
    /// </summary>
    public bool TryPeek(out long position, [NotNullWhen(true)] out Message? message)
    {
        var slots = _slots;
        while (true)
        {
            position = Volatile.Read(ref _positions.Head);
            ref var slot = ref slots[Index(position)];
            if (Volatile.Read(ref slot.Sequence) != position + 1)
            {
                if (position == Volatile.Read(ref _positions.Head))
                {
                    // Not written yet (or being freed by the consumer that took it): empty.
                    message = null;
                    return false;
                }

                continue;
            }

            message = Volatile.Read(ref slot.Item);

            // Taken meanwhile (the item may be gone, or a later lap's): look again.
            if (message is not null && position == Volatile.Read(ref _positions.Head))
            {
                return true;
            }
        }
    }

    /// <summary>True while <paramref name="position"/> (from <see cref="TryPeek"/>) is the head.</summary>
    public bool IsHead(long position) => Volatile.Read(ref _positions.Head) == position;

    /// <summary>Takes the head entry seen at <paramref name="position"/> by <see cref="TryPeek"/>; false when another consumer took it first.</summary>
    public bool TryTakeHead(long position)
    {
        if (Interlocked.CompareExchange(ref _positions.Head, position + 1, position) != position)
        {
            return false;
        }

        ref var slot = ref _slots[Index(position)];
        slot.Item = null;
        Volatile.Write(ref slot.Sequence, position + _slots.Length);
        return true;
    }

    /// <summary>
    /// <see cref="TryDequeue"/> for a ring that one consumer at a time reads (a pipe's write loop): the head is only
    /// ever moved by that consumer, so it needs no compare-exchange. The exchange was a full fence per message, which
    /// kept the CPU from loading the next message (another core's cache lines) while it encoded this one.
    /// </summary>
    public bool TryDequeueSingleConsumer([NotNullWhen(true)] out Message? message)
    {
        if (!TryPeekSingleConsumer(out message))
        {
            return false;
        }

        long position = _positions.Head;
        ref var slot = ref _slots[Index(position)];
        slot.Item = null;
        Volatile.Write(ref _positions.Head, position + 1);
        Volatile.Write(ref slot.Sequence, position + _slots.Length);
        return true;
    }

    /// <summary>The message <see cref="TryDequeueSingleConsumer"/> would take next, left in the ring.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPeekSingleConsumer([NotNullWhen(true)] out Message? message)
    {
        long position = _positions.Head;
        ref var slot = ref _slots[Index(position)];
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            // Not written yet: empty.
            message = null;
            return false;
        }

        message = slot.Item!;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(long position) => (int)position & _mask;

    private struct Slot
    {
        public Message? Item;
        public long Sequence;
    }

    // Head and tail on cache lines of their own, so producers and consumers do not invalidate each other's.
    [StructLayout(LayoutKind.Explicit, Size = 3 * 64)]
    private struct Positions
    {
        [FieldOffset(64)]
        public long Head;

        [FieldOffset(128)]
        public long Tail;
    }
}
