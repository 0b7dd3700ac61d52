using System.Collections.Concurrent;

namespace MultiSocket.Internal;

/// <summary>
/// A pool of byte arrays of one size shared by all threads, one lock-free queue operation per rent and per return, for
/// the large sizes (<see cref="BufferPool"/>): there a rent is rare next to the copy that fills the array, and what
/// matters is that the pool holds exactly the arrays in circulation. A per-thread cache keeps a few arrays on every
/// pool thread a loop ever ran on; a thread that found the shared reserve empty made new ones while others sat idle in
/// those caches, so the pool kept growing for seconds (tcp 64 KiB: 0.5–5 B per message).
/// </summary>
internal sealed class SharedArrayPool
{
    private readonly ConcurrentQueue<byte[]> _arrays = new();
    private readonly int _length;
    private readonly int _maxArrays;
    private readonly int _growBy;
    private int _count;

    /// <param name="length">The length of every array.</param>
    /// <param name="maxArrays">Arrays kept at most; returns beyond that go to the GC.</param>
    public SharedArrayPool(int length, int maxArrays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxArrays, 1);
        _length = length;
        _maxArrays = maxArrays;
        _growBy = Math.Clamp((256 * 1024) / length, 1, maxArrays);
    }

    /// <summary>Arrays the pool holds now.</summary>
    public int Count => Volatile.Read(ref _count);

    public byte[] Rent()
    {
        if (_arrays.TryDequeue(out var array))
        {
            Interlocked.Decrement(ref _count);
            return array;
        }

        // None left: the arrays in circulation reached a new high. Make a few more than asked for (up to 256 KiB), so
        // that the next high, often a message or two more, does not allocate again.
        for (int i = 1; i < _growBy; i++)
        {
            Return(GC.AllocateUninitializedArray<byte>(_length));
        }

        return GC.AllocateUninitializedArray<byte>(_length);
    }

    public void Return(byte[] array)
    {
        // Counted before it is queued: a renter may briefly miss an array the count already shows, never the reverse,
        // so the pool never keeps more than its limit.
        if (Interlocked.Increment(ref _count) <= _maxArrays)
        {
            _arrays.Enqueue(array);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
