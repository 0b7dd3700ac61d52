using System.Buffers;

namespace MultiSocket.Internal;

/// <summary>
/// A best-effort publisher's frames, encoded once and read by every stream pipe of the socket: a ring of chunks that
/// the publisher fills with whole frames and each pipe's write loop copies from at its own position. A pipe that falls
/// a whole ring behind loses what it skipped (counted as dropped), as a full queue would drop it.
/// </summary>
internal sealed class PublishLog
{
    public const int ChunkSize = 32 * 1024;
    private const int ChunkCount = 8;

    // Committed: bytes (bits 0-19), frames (20-39), sealed (40), generation (41-62).
    private const int FramesShift = 20;
    private const long FieldMask = (1L << 20) - 1;
    private const long SealedBit = 1L << 40;
    private const int GenerationShift = 41;
    private const long GenerationMask = (1L << 22) - 1;

    private readonly Chunk[] _chunks = new Chunk[ChunkCount];
    private readonly Lock _gate = new();
    private volatile Reader[] _readers = [];

    // Publisher only (under the gate), but read by readers catching up.
    private long _sequence;
    private int _used;
    private int _frames;
    private long _nextFrame;

    public PublishLog()
    {
        for (int i = 0; i < _chunks.Length; i++)
        {
            _chunks[i] = new Chunk();
        }

        _chunks[0].Committed = Pack(0, 0, 0, false);
    }

    public bool HasReaders => _readers.Length != 0;

    /// <summary>Appends one frame for every reader; false when it does not fit a chunk (the caller sends it otherwise).</summary>
    public bool TryAppend(Message message)
    {
        int size = FrameEncoder.GetFrameSize(message);
        if (size > ChunkSize)
        {
            return false;
        }

        lock (_gate)
        {
            var chunk = _chunks[_sequence & (ChunkCount - 1)];
            if (ChunkSize - _used < size)
            {
                // Seal this chunk and start the next (the oldest in the ring, overwritten).
                Volatile.Write(ref chunk.Committed, Pack(_sequence, _used, _frames, true));
                Volatile.Write(ref _sequence, _sequence + 1);
                _used = 0;
                _frames = 0;
                chunk = _chunks[_sequence & (ChunkCount - 1)];
                chunk.FirstFrame = _nextFrame;

                // A full fence: readers that see the new generation see FirstFrame, and no frame of it is written
                // before a reader of the old one can see it changed.
                Interlocked.Exchange(ref chunk.Committed, Pack(_sequence, 0, 0, false));
            }

            FrameEncoder.WriteTo(chunk.Buffer.AsSpan(_used), message, size);
            _used += size;
            _frames++;
            _nextFrame++;

            // A full fence between publishing and looking for waiting readers (paired with the reader's before its
            // last look).
            Interlocked.Exchange(ref chunk.Committed, Pack(_sequence, _used, _frames, false));
        }

        foreach (var reader in _readers)
        {
            reader.Wake();
        }

        return true;
    }

    public Reader AddReader(SendQueue queue)
    {
        lock (_gate)
        {
            var reader = new Reader(this, queue, _sequence, _used, _nextFrame);
            _readers = [.. _readers, reader];
            return reader;
        }
    }

    public void RemoveReader(Reader reader)
    {
        lock (_gate)
        {
            _readers = Array.FindAll(_readers, r => r != reader);
        }
    }

    private static long Pack(long sequence, int bytes, int frames, bool sealedChunk) =>
        ((sequence & GenerationMask) << GenerationShift) | (sealedChunk ? SealedBit : 0) | ((long)frames << FramesShift) | (uint)bytes;

    private static bool SameGeneration(long committed, long sequence) =>
        ((committed >> GenerationShift) & GenerationMask) == (sequence & GenerationMask);

    private sealed class Chunk
    {
        public readonly byte[] Buffer = new byte[ChunkSize];
        public long Committed;
        public long FirstFrame;
    }

    /// <summary>One pipe's position in the log. One thread at a time reads (the pipe's write loop).</summary>
    public sealed class Reader
    {
        private readonly PublishLog _log;
        private readonly SendQueue _queue;
        private long _sequence;
        private int _offset;
        private long _nextFrame;

        internal Reader(PublishLog log, SendQueue queue, long sequence, int offset, long nextFrame)
        {
            _log = log;
            _queue = queue;
            _sequence = sequence;
            _offset = offset;
            _nextFrame = nextFrame;
        }

        /// <summary>True when frames wait to be copied.</summary>
        public bool HasData
        {
            get
            {
                long committed = Volatile.Read(ref _log._chunks[_sequence & (ChunkCount - 1)].Committed);
                return !SameGeneration(committed, _sequence) ? Volatile.Read(ref _log._sequence) > _sequence : (committed & FieldMask) > _offset || (committed & SealedBit) != 0;
            }
        }

        internal void Wake() => _queue.WakeReader();

        /// <summary>Copies what the log holds past this reader into <paramref name="output"/>, up to about <paramref name="limit"/> bytes; returns the bytes copied and the frames skipped.</summary>
        public int CopyTo(IBufferWriter<byte> output, int limit, out long dropped)
        {
            dropped = 0;
            int copied = 0;
            var chunks = _log._chunks;
            while (copied < limit)
            {
                var chunk = chunks[_sequence & (ChunkCount - 1)];
                long committed = Volatile.Read(ref chunk.Committed);
                if (!SameGeneration(committed, _sequence))
                {
                    if (Volatile.Read(ref _log._sequence) <= _sequence)
                    {
                        break;
                    }

                    dropped += CatchUp();
                    continue;
                }

                int bytes = (int)(committed & FieldMask);
                if (bytes > _offset)
                {
                    long first = chunk.FirstFrame;
                    int length = bytes - _offset;
                    var span = output.GetSpan(length);
                    chunk.Buffer.AsSpan(_offset, length).CopyTo(span);
                    Interlocked.MemoryBarrier();
                    if (!SameGeneration(Volatile.Read(ref chunk.Committed), _sequence))
                    {
                        // Overwritten while copying: what was copied may be torn.
                        dropped += CatchUp();
                        continue;
                    }

                    output.Advance(length);
                    copied += length;
                    _offset = bytes;
                    _nextFrame = first + ((committed >> FramesShift) & FieldMask);
                }

                if ((committed & SealedBit) == 0)
                {
                    break;
                }

                _sequence++;
                _offset = 0;
            }

            return copied;
        }

        // Lapped: move to the oldest chunk that will stay intact a while, counting what was skipped.
        private long CatchUp()
        {
            while (true)
            {
                long newest = Volatile.Read(ref _log._sequence);
                long target = Math.Max(_sequence + 1, newest - (ChunkCount / 2));
                var chunk = _log._chunks[target & (ChunkCount - 1)];
                long committed = Volatile.Read(ref chunk.Committed);
                long first = chunk.FirstFrame;
                Interlocked.MemoryBarrier();
                if (SameGeneration(Volatile.Read(ref chunk.Committed), target) && SameGeneration(committed, target))
                {
                    long dropped = first - _nextFrame;
                    _sequence = target;
                    _offset = 0;
                    _nextFrame = first;
                    return Math.Max(0, dropped);
                }
            }
        }
    }
}
