using System.Buffers;

namespace MultiSocket.Internal;

/// <summary>
/// A best-effort socket's sends to all, encoded once and read by every framed byte-stream pipe of the socket: a ring of
/// chunks that senders fill with whole frames, and that each pipe's write loop copies from at its own position. A pipe
/// that falls a ring behind skips to a chunk still intact and counts the frames it lost as dropped, as a full queue
/// would have dropped them.
/// </summary>
/// <remarks>
/// Queued through per-pipe rings instead, every message sent to all cost each pipe a compare-exchange, a reference
/// released on the sender's cache line and a frame encoded from the sender's message, all crossing between the cores;
/// through the log a frame is encoded once, the message never leaves the sender, and a write loop copies a run of frames
/// with one memory copy. A reader checks after copying that its chunk was not reused meanwhile (a sequence lock), so
/// the sender never waits for readers and never reads their positions.
/// </remarks>
internal sealed class PublishLog
{
    /// <summary>Frames larger than this are not logged: the socket queues them per pipe, in order (see <see cref="Mark"/>).</summary>
    public const int ChunkSize = 32 * 1024;

    private const int ChunkCount = 8;

    // A chunk's state in one word, so that a reader sees its length, frame count and generation together:
    // bytes (bits 0-19), frames (20-39), sealed (40), generation (41-62, the chunk's sequence number's low bits).
    private const int FieldBits = 20;
    private const long FieldMask = (1L << FieldBits) - 1;
    private const long SealedBit = 1L << 40;
    private const int GenerationShift = 41;
    private const long GenerationMask = (1L << 22) - 1;

    private readonly Chunk[] _chunks = new Chunk[ChunkCount];
    private readonly int _framesPerChunk;
    private readonly int _queueFrameLimit;
    private readonly Lock _gate = new();
    private volatile Reader[] _readers = [];

    // Written under the gate; readers read the sequence to tell a chunk not yet started from one reused.
    private long _sequence;
    private int _used;
    private int _frames;
    private long _nextFrame;

    // Bumped under the gate by every AddReader: see TryAppend(Message, long, bool).
    private long _readersVersion;

    /// <summary>A log of 8 chunks, each up to <see cref="ChunkSize"/> bytes and twice <paramref name="queueSize"/> frames.</summary>
    /// <remarks>
    /// The frame bound keeps a socket's <see cref="SocketOptions.SendQueueSize"/> meaningful for small messages; twice
    /// it, because a reader's batches are what it copies between being overtaken: with chunks of one queue (256 frames)
    /// pub/sub per subscriber read 0.82-0.95 M msg/s in the machine's lower state, with 32 KiB chunks (437 frames of
    /// 64 B) 1.04-1.16 M; ~1.55-1.7 M either way in the upper (docs/performance.md, round 10).
    /// </remarks>
    public PublishLog(int queueSize)
    {
        _framesPerChunk = (int)Math.Clamp(2L * queueSize, 1, int.MaxValue);

        // A reader is overtaken once the sender is ChunkCount - 1 chunks ahead (CopyTo): frames up to this size keep at
        // least a queue's worth in the chunks before that.
        _queueFrameLimit = (int)Math.Clamp((long)ChunkSize * (ChunkCount - 2) / Math.Max(queueSize, 1), 1, ChunkSize);
        for (int i = 0; i < _chunks.Length; i++)
        {
            _chunks[i] = new Chunk();
        }
    }

    public bool HasReaders => _readers.Length != 0;

    /// <summary>How many frames were appended so far.</summary>
    public long Frames => Interlocked.Read(ref _nextFrame);

    /// <summary>
    /// Changes whenever a reader is added: a sender that chose what to log for the readers it knew of passes the version
    /// it saw to <see cref="TryAppend(Message, long, bool)"/>, which then refuses to log for a reader added since.
    /// </summary>
    public long ReadersVersion => Volatile.Read(ref _readersVersion);

    /// <summary>
    /// The log's end as a position (<see cref="Reader.Position"/>): frames appended before it come before a message
    /// queued with this mark, frames appended after it come after.
    /// </summary>
    public LogMark Mark()
    {
        lock (_gate)
        {
            return new LogMark(Position(_sequence, _used), _nextFrame);
        }
    }

    /// <summary>
    /// The log's end as a <see cref="Mark"/> would give it, read without the lock (by a write loop, as often as it
    /// copies). It may be a little behind the true end, never ahead of it: frames appended after it come after.
    /// </summary>
    public LogMark PeekEnd()
    {
        while (true)
        {
            long sequence = Volatile.Read(ref _sequence);
            if (TryReadChunk(sequence, out long state, out long first))
            {
                return new LogMark(Position(sequence, (int)(state & FieldMask)), first + ((state >> FieldBits) & FieldMask));
            }
        }
    }

    /// <summary>
    /// Reads chunk <paramref name="sequence"/>'s state and first frame number together: false when the chunk is not of
    /// that generation, or was reused while they were read (its first frame is written before the state that makes it
    /// the new generation's, so the state read again after it tells).
    /// </summary>
    private bool TryReadChunk(long sequence, out long state, out long first)
    {
        var chunk = _chunks[sequence & (ChunkCount - 1)];
        state = Volatile.Read(ref chunk.State);
        first = Volatile.Read(ref chunk.FirstFrame);
        Interlocked.MemoryBarrier();
        return IsGeneration(state, sequence) && IsGeneration(Volatile.Read(ref chunk.State), sequence);
    }

    /// <summary>Appends <paramref name="message"/> as one frame for every reader; false when its frame is larger than a chunk.</summary>
    /// <exception cref="ArgumentException">A path is longer than 255 ids.</exception>
    public bool TryAppend(Message message) => TryAppend(message, readersVersion: -1, withinQueue: false);

    /// <summary>
    /// Appends <paramref name="message"/> as one frame for every reader, only if the readers are still those of
    /// <paramref name="readersVersion"/> (<see cref="ReadersVersion"/>; -1: any readers) and the frame fits a chunk, or
    /// with <paramref name="withinQueue"/>, is small enough that the log holds at least a send queue's worth of such
    /// frames for a reader that falls behind. False when it was not logged (the caller queues it instead).
    /// </summary>
    /// <exception cref="ArgumentException">A path is longer than 255 ids.</exception>
    public bool TryAppend(Message message, long readersVersion, bool withinQueue)
    {
        int size = FrameEncoder.GetFrameSize(message);
        if (size > (withinQueue ? _queueFrameLimit : ChunkSize))
        {
            return false;
        }

        lock (_gate)
        {
            if (readersVersion != -1 && readersVersion != _readersVersion)
            {
                return false;
            }

            var chunk = _chunks[_sequence & (ChunkCount - 1)];
            if (ChunkSize - _used < size || _frames == _framesPerChunk)
            {
                chunk = StartChunk(chunk);
            }

            // Chunks get their buffer when first written: a socket whose pipes are all in process never needs them.
            var buffer = chunk.Buffer ??= new byte[ChunkSize];
            FrameEncoder.WriteTo(buffer.AsSpan(_used, size), message, size);
            _used += size;
            _frames++;
            _nextFrame++;

            // The exchange is a full fence between publishing the frame and looking for waiting readers below, paired
            // with the one a write loop makes before its last look at the log (SendQueue.WaitToReadAsync).
            Interlocked.Exchange(ref chunk.State, State(_sequence, _used, _frames, sealedChunk: false));
        }

        foreach (var reader in _readers)
        {
            reader.Wake();
        }

        return true;
    }

    // Seals the current chunk and starts the next, which is the oldest in the ring: its frames are gone for any reader
    // that had not copied them.
    private Chunk StartChunk(Chunk current)
    {
        Volatile.Write(ref current.State, State(_sequence, _used, _frames, sealedChunk: true));
        long sequence = _sequence + 1;
        var next = _chunks[sequence & (ChunkCount - 1)];

        // The frames the reused chunk held are gone for readers that have not copied them (none on the first lap).
        long lostUpTo = sequence >= ChunkCount ? next.FirstFrame + ((Volatile.Read(ref next.State) >> FieldBits) & FieldMask) : 0;
        next.FirstFrame = _nextFrame;

        // A full fence before the first frame of the new generation is written: a reader still copying the old one
        // then sees its generation changed when it checks after the copy. FirstFrame is written before the state that
        // tells a reader the chunk is this generation's.
        Interlocked.Exchange(ref next.State, State(sequence, 0, 0, sealedChunk: false));
        Volatile.Write(ref _sequence, sequence);
        _used = 0;
        _frames = 0;

        // Counted here, once per reused chunk, so that a reader that copies nothing (its write loop waits on a peer that
        // does not read) still shows its drops; a reader that copied them meanwhile has claimed them first.
        foreach (var reader in _readers)
        {
            reader.ClaimDropped(lostUpTo);
        }

        return next;
    }

    /// <summary>
    /// A reader starting at the log's end, for one pipe: <see cref="SendQueue.WakeReader"/> tells it of new frames, and
    /// <paramref name="onDropped"/> is given the number of frames it loses, each frame once (on the sender's thread or
    /// the reader's).
    /// </summary>
    public Reader AddReader(SendQueue queue, Action<long> onDropped)
    {
        lock (_gate)
        {
            var reader = new Reader(this, queue, onDropped, _sequence, _used, _nextFrame);
            _readers = [.. _readers, reader];
            Volatile.Write(ref _readersVersion, _readersVersion + 1);
            return reader;
        }
    }

    /// <summary>
    /// Stops waking <paramref name="reader"/>: what it copies from now on ends at the log's present end (at the first
    /// call; later ones change nothing).
    /// </summary>
    public void RemoveReader(Reader reader)
    {
        lock (_gate)
        {
            if (reader.EndAt(Position(_sequence, _used), _nextFrame))
            {
                _readers = Array.FindAll(_readers, r => r != reader);
            }
        }
    }

    private static long Position(long sequence, int offset) => (sequence << FieldBits) | (uint)offset;

    private static long State(long sequence, int bytes, int frames, bool sealedChunk) =>
        ((sequence & GenerationMask) << GenerationShift) | (sealedChunk ? SealedBit : 0) | ((long)frames << FieldBits) | (uint)bytes;

    private static bool IsGeneration(long state, long sequence) =>
        ((state >> GenerationShift) & GenerationMask) == (sequence & GenerationMask);

    /// <summary>Where the log ended at some moment: the position and the number of the next frame.</summary>
    internal readonly record struct LogMark(long Position, long Frame)
    {
        /// <summary>No mark: everything logged.</summary>
        public static LogMark End => new(long.MaxValue, long.MaxValue);
    }

    private sealed class Chunk
    {
        // Read by readers only once the state shows bytes written (after the buffer was made).
        public byte[]? Buffer;
        public long State;
        public long FirstFrame;
    }

    /// <summary>One pipe's position in the log. Only the pipe's write loop reads with it (one thread at a time).</summary>
    public sealed class Reader
    {
        [ThreadStatic]
        private static byte[]? t_staging;

        private readonly PublishLog _log;
        private readonly SendQueue _queue;
        private readonly Action<long> _onDropped;
        private long _sequence;
        private int _offset;
        private readonly long _firstFrame;
        private long _nextFrame;
        private long _end = long.MaxValue;
        private long _endFrame = long.MaxValue;

        // Frames before this number are accounted for: copied, or counted as dropped. The reader claims what it copies
        // and the sender what it overwrites, each with a compare-exchange, so every frame is counted exactly once.
        private long _accounted;

        internal Reader(PublishLog log, SendQueue queue, Action<long> onDropped, long sequence, int offset, long nextFrame)
        {
            _log = log;
            _queue = queue;
            _onDropped = onDropped;
            _sequence = sequence;
            _offset = offset;
            _nextFrame = nextFrame;
            _firstFrame = nextFrame;
            _accounted = nextFrame;
        }

        /// <summary>
        /// How many frames were appended for this reader: from when it was added until it was removed, or until now.
        /// Those it lost are among them.
        /// </summary>
        public long FramesLogged => Math.Min(_log.Frames, Interlocked.Read(ref _endFrame)) - _firstFrame;

        /// <summary>The log this reader reads.</summary>
        public PublishLog Log => _log;

        /// <summary>Where the reader is: comparable with a <see cref="LogMark.Position"/>.</summary>
        public long Position => Position(_sequence, _offset);

        /// <summary>
        /// True once the reader has gone past every frame logged before <paramref name="mark"/> (copied, or skipped as
        /// lost), or past its own end, beyond which nothing is its own: a message queued with that mark may go out.
        /// </summary>
        public bool HasPassed(LogMark mark) => Position >= Math.Min(mark.Position, Volatile.Read(ref _end));

        /// <summary>True when frames wait to be copied (or the reader was overtaken and must skip ahead).</summary>
        public bool HasData
        {
            get
            {
                if (Position >= Volatile.Read(ref _end))
                {
                    return false;
                }

                long state = Volatile.Read(ref _log._chunks[_sequence & (ChunkCount - 1)].State);
                return IsGeneration(state, _sequence)
                    ? (state & FieldMask) > _offset || (state & SealedBit) != 0
                    : Volatile.Read(ref _log._sequence) > _sequence;
            }
        }

        internal void Wake() => _queue.WakeReader();

        /// <summary>The frames before <paramref name="upTo"/> that nobody has accounted for are dropped (the sender's side).</summary>
        internal void ClaimDropped(long upTo)
        {
            // Frames past a removed reader's end were never its own.
            upTo = Math.Min(upTo, Volatile.Read(ref _endFrame));
            long accounted = Volatile.Read(ref _accounted);
            while (accounted < upTo)
            {
                long seen = Interlocked.CompareExchange(ref _accounted, upTo, accounted);
                if (seen == accounted)
                {
                    _onDropped(upTo - accounted);
                    return;
                }

                accounted = seen;
            }
        }

        // The reader's side: claims the frames from its position to upTo as copied; false when the sender claimed some of
        // them as dropped first (the copy must then not be committed).
        private bool ClaimCopied(long upTo) =>
            upTo <= _nextFrame || Interlocked.CompareExchange(ref _accounted, upTo, _nextFrame) == _nextFrame;

        // Under the log's lock.
        internal bool EndAt(long position, long frame)
        {
            if (_end != long.MaxValue)
            {
                return false;
            }

            _endFrame = frame;
            Volatile.Write(ref _end, position);
            return true;
        }

        /// <summary>
        /// Copies the frames between this reader and <paramref name="mark"/> (a <see cref="Mark"/>, or <see cref="LogMark.End"/>) into
        /// <paramref name="output"/>, stopping once about <paramref name="limit"/> bytes are copied. Returns the bytes
        /// copied. Frames the log overtook are skipped and counted as dropped.
        /// </summary>
        public int CopyTo(IBufferWriter<byte> output, int limit, LogMark mark)
        {
            int copied = 0;
            long end = Volatile.Read(ref _end);
            var until = mark.Position <= end ? mark : new LogMark(end, _endFrame);
            var chunks = _log._chunks;
            while (copied < limit && Position < until.Position)
            {
                if (Volatile.Read(ref _log._sequence) - _sequence >= ChunkCount - 1)
                {
                    // This chunk is the next the sender reuses: copying it would likely be wasted. The skip may land
                    // past the mark: look again (copying the chunk it lands on let frames logged after a queued message
                    // overtake it, by up to a chunk per skip).
                    SkipAhead();
                    continue;
                }

                var chunk = chunks[_sequence & (ChunkCount - 1)];
                long state = Volatile.Read(ref chunk.State);
                if (!IsGeneration(state, _sequence))
                {
                    if (Volatile.Read(ref _log._sequence) <= _sequence)
                    {
                        break;   // not started yet: nothing new
                    }

                    SkipAhead();
                    continue;
                }

                int committed = (int)(state & FieldMask);
                int bytes = committed;
                if (_sequence == until.Position >> FieldBits)
                {
                    bytes = Math.Min(bytes, (int)(until.Position & FieldMask));
                }

                if (bytes > _offset)
                {
                    // Read before the copy, which then checks that the chunk was not reused since. At the chunk's
                    // committed end the state tells the next frame's number, at a mark (or the reader's end) the mark does.
                    long next = bytes == committed ? chunk.FirstFrame + ((state >> FieldBits) & FieldMask) : until.Frame;
                    if (!TryCopy(chunk, bytes - _offset, next, output))
                    {
                        // Reused while copying (what was copied may be torn), or its frames already counted as dropped:
                        // nothing was committed.
                        SkipAhead();
                        continue;
                    }

                    copied += bytes - _offset;
                    _offset = bytes;
                    _nextFrame = next;
                }

                if ((state & SealedBit) == 0 || bytes < committed)
                {
                    break;
                }

                _sequence++;
                _offset = 0;
            }

            return copied;
        }

        // Copies [offset, offset + length) of the chunk to the output and commits it there only if the chunk was not
        // reused meanwhile. The copy goes straight into the output's buffer when it has room in one span, else through
        // a staging buffer (asking the output for a larger span would leave the rest of its segment unused).
        private bool TryCopy(Chunk chunk, int length, long nextFrame, IBufferWriter<byte> output)
        {
            var source = chunk.Buffer!.AsSpan(_offset, length);
            var span = output.GetSpan();
            bool direct = span.Length >= length;
            if (!direct)
            {
                span = t_staging ??= new byte[ChunkSize];
            }

            source.CopyTo(span);

            // The copy's loads complete before the generation is read again (a sequence lock's reader side).
            Interlocked.MemoryBarrier();
            if (!IsGeneration(Volatile.Read(ref chunk.State), _sequence) || !ClaimCopied(nextFrame))
            {
                return false;
            }

            if (direct)
            {
                output.Advance(length);
            }
            else
            {
                output.Write(span[..length]);
            }

            return true;
        }

        // Overtaken: moves to a chunk far enough behind the sender's to stay intact a while, at its first frame, and
        // counts the frames skipped that the sender has not counted.
        private void SkipAhead()
        {
            while (true)
            {
                long newest = Volatile.Read(ref _log._sequence);
                long target = Math.Max(_sequence + 1, newest - (ChunkCount / 2));
                if (_log.TryReadChunk(target, out _, out long first))
                {
                    _sequence = target;
                    _offset = 0;
                    _nextFrame = first;
                    ClaimDropped(first);
                    return;
                }
            }
        }
    }
}
