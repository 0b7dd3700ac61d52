using System.Buffers;

namespace MultiSocket.Internal;

/// <summary>
/// Where message content buffers come from. Small buffers use <see cref="ArrayPool{T}.Shared"/> (a thread-local fast
/// path); larger ones a pool deep enough for the messages a socket keeps in flight: the shared pool keeps only a few
/// arrays per size per core, fewer than one pipe's send queue plus the receive queue, so 1 KiB+ content rented on
/// the sending thread and returned on another was allocated anew for most messages.
/// </summary>
internal static class BufferPool
{
    // Up to this length the shared pool's per-thread and per-core caches keep up.
    private const int SharedLimit = 512;

    // Enough for several sockets' queues (64 messages each way by default) of in-flight content per size class.
    private const int ArraysPerSize = 256;

    // Content up to the default receive limit is pooled; larger content is allocated and left to the GC.
    public const int MaxPooledLength = 128 * 1024;

    private static readonly ArrayPool<byte> Deep = ArrayPool<byte>.Create(MaxPooledLength, ArraysPerSize);

    public static byte[] Rent(int length) =>
        length <= SharedLimit ? ArrayPool<byte>.Shared.Rent(length) : Deep.Rent(length);

    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= SharedLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else
        {
            Deep.Return(buffer);
        }
    }
}
