using System.Buffers;
using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>
/// A run of small whole frames from one read of a byte-stream pipe, copied out of the pipe's buffer (or encoded by an
/// in-process sender's <see cref="Socket.SendBatchAsync"/>) and queued in the socket's receive queue as one entry; the
/// consumers that take it decode its messages one per receive.
/// </summary>
/// <remarks>
/// Decoded by the read loop, each message was made on one core and read on another: the message object, its content
/// and its slot in the queue each crossed between the cores, which in the machine's slower state cost more than the rest
/// of the receive path (docs/performance.md, round 11). Decoded by the consumer, a message is made, read and returned to
/// its pool on one thread; only the frames' bytes cross, in order, with one copy per read.
/// <para>Consumers decode only while they hold the batch (a compare-exchange on its state), so they take its messages one
/// at a time and in order. The state carries the opening's generation, since the object is pooled: a consumer that
/// looked at the batch before it was finished and reused cannot take from its next opening.</para>
/// </remarks>
internal sealed class ReceiveBatch
{
    /// <summary>
    /// A run of fewer frames is decoded by the read loop: a lone frame (a request, a reply, a lightly loaded pipe) gains
    /// nothing from a batch and would cost a batch and a buffer, which on pool threads that come and go the pools had to
    /// grow for (req/rep tcp: 3.3 B per round trip in one run).
    /// </summary>
    public const int MinFrames = 2;

    /// <summary>Frames up to this size (header and paths included) are batched; larger ones are decoded by the read loop.</summary>
    public const int FrameLimit = 4 * 1024;

    /// <summary>
    /// A batch holds at most this many bytes (one frame at least), so its buffer comes from one of the pool's sizes up
    /// to 32 KiB: a run that could end anywhere past it took arrays of 64 KiB too, which the pool grew when queues
    /// filled further than during a warm-up (tcp 1 KiB: 0.4 B/msg in one run).
    /// </summary>
    public const int ByteLimit = 32 * 1024;

    // Batch buffers come in two sizes only, so that what the pool must hold is the number of batches in flight rather
    // than a number per power of two, which moved with the mix of run lengths the reads bring.
    private const int SmallBuffer = 4 * 1024;

    private static readonly ThreadCachingPool<ReceiveBatch> Pool = new(() => new ReceiveBatch(), maxBatches: 64);

    // The state word: the opening's generation (bits 2 and up) and where it is (bits 0-1).
    private const int Live = 0;
    private const int Busy = 1;
    private const int Over = 2;
    private const int Where = 3;

    private byte[] _bytes = [];
    private int _at;
    private int _end;
    private uint _pipeId;
    private int _state = Over;

    private ReceiveBatch()
    {
        // The batch's entry in the receive queue: it stays with the batch, never disposed.
        Carrier = Message.Rent(0);
        Carrier.Batch = this;
    }

    /// <summary>Outcome of <see cref="TryTake"/>.</summary>
    public enum Take
    {
        /// <summary>A message; the batch holds more.</summary>
        Message,

        /// <summary>The batch's last message: the caller stops pointing at the batch, then calls <see cref="Finish"/>.</summary>
        Last,

        /// <summary>No message: another consumer is decoding from the batch.</summary>
        Busy,

        /// <summary>No message: that opening is over (or a newer one began); look again.</summary>
        Stale,
    }

    /// <summary>What stands for the batch in the receive queue.</summary>
    public Message Carrier { get; }

    /// <summary>The opening the batch is at; pass it to <see cref="TryTake"/>.</summary>
    public int Generation => Volatile.Read(ref _state) >> 2;

    /// <summary>
    /// A batch holding a copy of <paramref name="frames"/>, whole valid frames (<see cref="FrameDecoder.WholeFramesLength"/>)
    /// received by the pipe <paramref name="pipeId"/>.
    /// </summary>
    public static ReceiveBatch Open(uint pipeId, in ReadOnlySequence<byte> frames)
    {
        int length = (int)frames.Length;
        var batch = Rent(length);
        frames.CopyTo(batch._bytes);
        return batch.Start(pipeId, length);
    }

    /// <summary>
    /// A batch of new messages for the in-process pipe <paramref name="pipeId"/>, one send-to-one frame with
    /// <paramref name="ttl"/> and no paths per content, from <paramref name="contents"/>[<paramref name="index"/>] on:
    /// as many as fit in a batch and are no longer than <paramref name="maxContentLength"/> (0: no limit). Null, with
    /// nothing taken, when fewer than <see cref="MinFrames"/> do (the caller sends those one by one).
    /// </summary>
    public static ReceiveBatch? Encode(
        uint pipeId, IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl, uint maxContentLength, out int taken)
    {
        int length = 0;
        int end = index;
        for (; end < contents.Count; end++)
        {
            int content = contents[end].Length;
            int frame = FrameHeader.Size + content;
            if (frame > FrameLimit || length + frame > ByteLimit || (maxContentLength != 0 && (uint)content > maxContentLength))
            {
                break;
            }

            length += frame;
        }

        taken = end - index;
        if (taken < MinFrames)
        {
            taken = 0;
            return null;
        }

        var batch = Rent(length);
        var bytes = batch._bytes.AsSpan();
        int at = 0;
        for (int i = index; i < end; i++)
        {
            var content = contents[i].Span;
            new FrameHeader((byte)SendType.ToOne, ttl, 0, 0, (uint)content.Length).WriteTo(bytes[at..]);
            content.CopyTo(bytes[(at + FrameHeader.Size)..]);
            at += FrameHeader.Size + content.Length;
        }

        return batch.Start(pipeId, length);
    }

    private static ReceiveBatch Rent(int length)
    {
        var batch = Pool.Rent();
        batch._bytes = BufferPool.Rent(length <= SmallBuffer ? SmallBuffer : ByteLimit);
        return batch;
    }

    private ReceiveBatch Start(uint pipeId, int length)
    {
        _at = 0;
        _end = length;
        _pipeId = pipeId;
        Volatile.Write(ref _state, (((_state >> 2) + 1) << 2) | Live);
        return this;
    }

    /// <summary>Takes the next message of opening <paramref name="generation"/>.</summary>
    public Take TryTake(int generation, out Message? message)
    {
        int live = generation << 2;
        int state = Interlocked.CompareExchange(ref _state, live | Busy, live);
        if (state != live)
        {
            message = null;
            return (state >> 2) == generation && (state & Where) == Busy ? Take.Busy : Take.Stale;
        }

        message = FrameDecoder.Decode(_bytes.AsSpan(_at, _end - _at), _pipeId, out int size);
        _at += size;
        if (_at < _end)
        {
            Volatile.Write(ref _state, live);
            return Take.Message;
        }

        // Still held (busy): the caller stops pointing at it before Finish lets the batch be reused.
        return Take.Last;
    }

    /// <summary>Ends the opening whose last message <see cref="TryTake"/> gave, and returns the batch to its pool.</summary>
    public void Finish()
    {
        BufferPool.Return(_bytes);
        _bytes = [];
        Volatile.Write(ref _state, (_state & ~Where) | Over);
        Pool.Return(this);
    }

    /// <summary>Returns a batch that was never queued (its delivery failed) to its pool.</summary>
    public void Discard()
    {
        int state = _state;
        _state = (state & ~Where) | Busy;
        Finish();
    }
}
