using System.Buffers;
using System.Numerics;

namespace MultiSocket.Internal;

/// <summary>
/// Where message content buffers (and transports' pipe segments) come from. Small buffers use
/// <see cref="ArrayPool{T}.Shared"/> (a thread-local fast path). Larger ones come in power-of-two sizes from 1 KiB to
/// <see cref="MaxPooledLength"/>. Up to 8 KiB, one <see cref="ThreadCachingPool{T}"/> per size: content is rented on
/// the sending thread and returned on another (the write loop, the consumer), and a pool shared array by array made the
/// two threads meet on every message — the shared pool keeps too few arrays per size for a socket's queues, and a pool
/// from <see cref="ArrayPool{T}.Create(int, int)"/> takes a spin lock per rent and per return, which on two cores with
/// a preempted holder cost more than the copy. From <see cref="SharedFrom"/> up, one <see cref="SharedArrayPool"/> per
/// size: a rent is rare next to the copy, and a shared pool never strands arrays in idle threads' caches.
/// </summary>
internal static class BufferPool
{
    // Up to this length the shared pool's per-thread and per-core caches keep up.
    private const int SharedLimit = 512;

    // The smallest pooled size above SharedLimit: 1 KiB.
    private const int MinShift = 10;

    // Content up to the default receive limit is pooled; larger content is allocated and left to the GC.
    public const int MaxPooledLength = 128 * 1024;

    // Arrays of this length and up come from a pool shared by all threads: 16 KiB.
    public const int SharedFrom = 16 * 1024;

    // Enough for several sockets' queues (256 messages per pipe to send, 64 per socket received, by default) of in-flight
    // content per size. A pool keeps only what was once in circulation at the same time.
    private const int ArraysPerSize = 1024;

    // The large sizes keep up to this much each (512 arrays of 128 KiB; 1,024 of 64 KiB and below).
    private const int LargeBytesPerSize = 64 * 1024 * 1024;

    private static readonly ThreadCachingPool<byte[]>[] Sized = CreatePools();

    private static readonly SharedArrayPool[] Large = CreateSharedPools();

    public static byte[] Rent(int length)
    {
        if (length <= SharedLimit)
        {
            return ArrayPool<byte>.Shared.Rent(length);
        }

        if (length > MaxPooledLength)
        {
            return GC.AllocateUninitializedArray<byte>(length);
        }

        // The smallest power of two that holds it.
        int index = BitOperations.Log2((uint)length - 1) + 1 - MinShift;
        return index < Sized.Length ? Sized[index].Rent() : Large[index - Sized.Length].Rent();
    }

    public static void Return(byte[] buffer)
    {
        int length = buffer.Length;
        if (length <= SharedLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else if (length <= MaxPooledLength && BitOperations.IsPow2(length))
        {
            int index = BitOperations.Log2((uint)length) - MinShift;
            if (index < Sized.Length)
            {
                Sized[index].Return(buffer);
            }
            else
            {
                Large[index - Sized.Length].Return(buffer);
            }
        }

        // Anything else was not pooled: the GC takes it.
    }

    private static ThreadCachingPool<byte[]>[] CreatePools()
    {
        int count = BitOperations.Log2(SharedFrom) - MinShift;
        var pools = new ThreadCachingPool<byte[]>[count];
        for (int i = 0; i < count; i++)
        {
            int size = 1 << (MinShift + i);

            // Smaller batches for larger arrays: what a thread keeps of one size stays near 256 KiB (the arrays in
            // circulation stay few, and warm in the caches).
            int batch = Math.Clamp((256 * 1024) / size, 2, ThreadCachingPool<byte[]>.DefaultBatchSize);
            pools[i] = new ThreadCachingPool<byte[]>(() => GC.AllocateUninitializedArray<byte>(size), ArraysPerSize / batch, batch);
        }

        return pools;
    }

    private static SharedArrayPool[] CreateSharedPools()
    {
        int count = BitOperations.Log2(MaxPooledLength) - BitOperations.Log2(SharedFrom) + 1;
        var pools = new SharedArrayPool[count];
        for (int i = 0; i < count; i++)
        {
            int size = SharedFrom << i;
            pools[i] = new SharedArrayPool(size, Math.Min(ArraysPerSize, LargeBytesPerSize / size));
        }

        return pools;
    }
}
