using System.Buffers;
using System.Text;
using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>
/// One message: the wire meta (send type, flags, ttl), the <see cref="Source"/> and <see cref="Destination"/> paths,
/// and the <see cref="Content"/> bytes in a pooled buffer.
/// </summary>
/// <remarks>
/// <para>A message has exactly one owner. A received message belongs to whoever received it, who must
/// <see cref="Dispose"/> it when done, which returns its buffer (and the message object itself) to a pool. A
/// message handed to <see cref="Socket.SendMessageAsync"/> now belongs to the socket. Do not touch a message
/// after disposing it or handing it on: the object may already carry another message.</para>
/// <para>Paths are values (<see cref="MessagePath"/>) and stay valid after the message is disposed.</para>
/// </remarks>
public sealed class Message : IDisposable
{
    // Up to 2,048 messages kept between threads: four pipes' full send queues (256 each by default) and their peers'
    // receive queues stay pooled.
    private static readonly ThreadCachingPool<Message> Pool = new(() => new Message(), maxBatches: 64);

    // Content buffers up to this size stay with the message object when it goes back to its pool.
    private const int KeptBufferLength = 512;

    private byte[] _buffer = [];

    // _buffer.Length, kept here: disposing reads only this object, not the buffer's cache line (which the sender
    // wrote on another core).
    private int _bufferLength;
    private int _length;
    private int _refCount;

    /// <summary>
    /// Where the socket's publish log ended when this message was queued to a pipe that also reads the log: the pipe
    /// writes the log's frames up to here first (<see cref="Internal.PublishLog.Mark"/>).
    /// </summary>
    internal Internal.PublishLog.LogMark LogMark;

    /// <summary>Set only on the entry that stands for a <see cref="ReceiveBatch"/> in a receive queue.</summary>
    internal ReceiveBatch? Batch;
    private MessagePath _source;
    private MessagePath _destination;

    private Message()
    {
    }

    /// <summary>How the sending socket chooses pipes for this message.</summary>
    public SendType SendType { get; set; }

    /// <summary>Flags other than the send type.</summary>
    public MessageFlags Flags { get; set; }

    /// <summary>Hops the message may still take; a message whose ttl reached 0 is not forwarded.</summary>
    public byte Ttl { get; set; }

    /// <summary>The pipes the message came through, nearest first; reply with <c>SendToAsync(msg.Source, …)</c>.</summary>
    public MessagePath Source
    {
        get => _source;
        set => _source = value;
    }

    /// <summary>The pipes the message still has to take, next hop first (only for <see cref="SendType.ToDestination"/>).</summary>
    public MessagePath Destination
    {
        get => _destination;
        set => _destination = value;
    }

    /// <summary>Number of ids in <see cref="Source"/> (the wire's hops field).</summary>
    public int Hops => Source.Count;

    /// <summary>Number of ids in <see cref="Destination"/> (the wire's distance field).</summary>
    public int Distance => Destination.Count;

    /// <summary>The id of the local pipe the message arrived on (the first id of <see cref="Source"/>), or 0.</summary>
    public uint PipeId => Source.First;

    /// <summary>The content bytes. Valid until the message is disposed.</summary>
    public ReadOnlyMemory<byte> Content => new(_buffer, 0, _length);

    /// <summary>The content bytes, writable: for filling a message made with <see cref="Create(int, SendType)"/>.</summary>
    public Memory<byte> WritableContent => new(_buffer, 0, _length);

    /// <summary>Content length in bytes.</summary>
    public int Length => _length;

    /// <summary>
    /// For raw pipes: true for the empty message that announces end of stream (as opposed to the empty message
    /// that announces a new connection, which carries <see cref="MessageFlags.Control"/>).
    /// </summary>
    public bool IsEndOfStream => (Flags & MessageFlags.Raw) != 0 && (Flags & MessageFlags.Control) == 0 && _length == 0;

    /// <summary>Creates a message holding a copy of <paramref name="content"/> in a pooled buffer.</summary>
    /// <param name="content">The bytes to copy.</param>
    /// <param name="sendType">The send type; <see cref="SendType.ToOne"/> by default.</param>
    /// <param name="ttl">The initial ttl (default 16).</param>
    public static Message Create(ReadOnlySpan<byte> content, SendType sendType = SendType.ToOne, byte ttl = SocketOptions.DefaultSendTtl)
    {
        var msg = Rent(content.Length);
        content.CopyTo(msg._buffer);
        msg.SendType = sendType;
        msg.Ttl = ttl;
        return msg;
    }

    /// <summary>Creates a message holding the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static Message Create(string text, SendType sendType = SendType.ToOne)
    {
        ArgumentNullException.ThrowIfNull(text);
        var msg = Rent(Encoding.UTF8.GetByteCount(text));
        Encoding.UTF8.GetBytes(text, msg._buffer);
        msg.SendType = sendType;
        return msg;
    }

    /// <summary>
    /// Creates a message with <paramref name="length"/> bytes of content to be filled through
    /// <see cref="WritableContent"/> (saves a copy when the caller produces the bytes itself).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static Message Create(int length, SendType sendType = SendType.ToOne)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var msg = Rent(length);
        msg.SendType = sendType;
        return msg;
    }

    internal static Message Rent(int length)
    {
        var msg = Pool.Rent();

        // The next rents' lines are most likely in another core's cache (a consumer there disposed them): start
        // fetching them while this one is filled, the buffer of the next (whose object came on the last rent) and the
        // object of the one after. A sender filling pooled messages waited on those lines one by one; measured on
        // pub/sub, +5 % per subscriber when the cores share a cache and +22-25 % when they do not (round 9).
        Pool.PeekNext(out var next, out var afterNext);
        Prefetch.Object(afterNext);
        if (next is not null)
        {
            Prefetch.Object(next._buffer);
        }

        if (msg._bufferLength < length)
        {
            if (msg._bufferLength > 0)
            {
                BufferPool.Return(msg._buffer);
            }

            msg._buffer = BufferPool.Rent(length);
            msg._bufferLength = msg._buffer.Length;
        }

        msg._length = length;
        msg._refCount = 1;
        msg.Ttl = SocketOptions.DefaultSendTtl;
        return msg;
    }

    /// <summary>The content decoded as UTF-8 (for text protocols, logs and tests).</summary>
    public string ContentAsString() => Encoding.UTF8.GetString(_buffer, 0, _length);

    /// <summary>An independent copy of this message (meta, paths and content).</summary>
    public Message Clone()
    {
        var copy = Rent(_length);
        _buffer.AsSpan(0, _length).CopyTo(copy._buffer);
        copy.SendType = SendType;
        copy.Flags = Flags;
        copy.Ttl = Ttl;
        copy.Source = Source;
        copy.Destination = Destination;
        return copy;
    }

    /// <summary>Shortens the content to its first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
    }

    /// <summary>
    /// What a receiving node does to a message (wire-format.md): records <paramref name="pipeId"/> in front of the
    /// source path, spends a hop, and for <see cref="SendType.ToDestination"/> takes the next hop off the destination.
    /// </summary>
    internal void Arrive(uint pipeId)
    {
        if (TryArriveInPlace(pipeId, out _))
        {
            return;
        }

        // A path longer than four ids lives in an array: build new paths.
        _source = _source.Prepend(pipeId);
        Ttl = SpendHop(Ttl);
        if (SendType == SendType.ToDestination)
        {
            _destination = _destination.RemoveFirst();
        }
    }

    /// <summary>
    /// <see cref="Arrive"/> done in place, and undoable (<see cref="UndoArrival"/>). False, with nothing changed, when
    /// a path is too long to change in place (more than four ids).
    /// </summary>
    /// <param name="pipeId">The id of the pipe the message arrives on.</param>
    /// <param name="undo">What <see cref="UndoArrival"/> needs to restore the message.</param>
    internal bool TryArriveInPlace(uint pipeId, out ArrivalUndo undo)
    {
        bool toDestination = SendType == SendType.ToDestination;
        if (!_source.HasInlineRoom || (toDestination && !_destination.IsInline))
        {
            undo = default;
            return false;
        }

        byte ttl = Ttl;
        MessagePath.PrependInPlace(ref _source, pipeId);
        Ttl = SpendHop(ttl);
        uint hop = toDestination ? MessagePath.RemoveFirstInPlace(ref _destination) : 0;
        undo = new ArrivalUndo(ttl, hop);
        return true;
    }

    /// <summary>Reverses <see cref="TryArriveInPlace"/> (a receive queue turned out to be full).</summary>
    internal void UndoArrival(ArrivalUndo undo)
    {
        MessagePath.RemoveFirstInPlace(ref _source);
        Ttl = undo.Ttl;
        if (undo.Hop != 0)
        {
            MessagePath.PrependInPlace(ref _destination, undo.Hop);
        }
    }

    private static byte SpendHop(byte ttl) => ttl == 0 ? (byte)0 : (byte)(ttl - 1);

    /// <summary>The ttl and destination hop an in-place arrival changed.</summary>
    internal readonly record struct ArrivalUndo(byte Ttl, uint Hop);

    /// <summary>True while more than one party holds this message (a send to several pipes).</summary>
    internal bool IsShared => Volatile.Read(ref _refCount) > 1;

    /// <summary>Adds an owner; each owner calls <see cref="Dispose"/> once.</summary>
    internal void AddRef() => Interlocked.Increment(ref _refCount);

    /// <summary>Adds <paramref name="count"/> owners at once (at most one atomic operation for a send to many pipes).</summary>
    /// <remarks>
    /// While the caller holds the only reference, nobody else can change the count (another holder would make it two
    /// or more), so a plain store does: the queue that hands the message to another thread publishes it with release
    /// semantics, after this store. Saves a locked instruction per published message (pub/sub, upper state: ~+7 %).
    /// </remarks>
    internal void AddRefs(int count)
    {
        if (_refCount == 1)
        {
            _refCount = 1 + count;
        }
        else
        {
            Interlocked.Add(ref _refCount, count);
        }
    }

    /// <summary>Releases this owner's hold; the last one returns the buffer and the message to their pools.</summary>
    public void Dispose() => Release(1);

    /// <summary>Releases <paramref name="count"/> holds at once; the last release returns the message to its pool.</summary>
    internal void Release(int count)
    {
        int left = Interlocked.Add(ref _refCount, -count);
        if (left != 0)
        {
            if (left < 0)
            {
                // Released more than held (disposed twice): keep the count from drifting; nothing is returned twice.
                Interlocked.Add(ref _refCount, -left);
            }

            return;
        }

        // A small buffer stays with the pooled message for its next use: one pool operation per message instead of
        // two, and no array pool round trip between the thread that rents and the one that disposes.
        byte[]? large = null;
        if (_bufferLength > KeptBufferLength)
        {
            large = _buffer;
            _buffer = [];
            _bufferLength = 0;
        }

        _length = 0;
        _source = default;
        _destination = default;
        Flags = MessageFlags.None;
        SendType = SendType.ToOne;
        if (large is not null)
        {
            BufferPool.Return(large);
        }

        Pool.Return(this);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"Message({SendType}, flags {Flags}, ttl {Ttl}, source {Source}, destination {Destination}, {_length} bytes)";

    // A cache line of nothing after the fields (declared last, so the runtime lays it out last): pooled messages are
    // made in batches and sit next to each other in the heap, and while the sender fills one the consumer disposes
    // another. Without it, neighbours shared cache lines, and in about half of all processes (depending on where the
    // in-flight messages fell) inproc 64 B ran at ~3 M msg/s instead of ~9 M; with it, 19 of 22 runs were fast.
    private CacheLinePad _pad;

    [System.Runtime.CompilerServices.InlineArray(8)]
    private struct CacheLinePad
    {
        private long _element;
    }
}
