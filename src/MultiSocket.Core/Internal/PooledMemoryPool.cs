using System.Buffers;

namespace MultiSocket.Internal;

/// <summary>
/// A <see cref="MemoryPool{T}"/> over <see cref="BufferPool"/> with pooled owners, for transports' pipe segments:
/// <see cref="MemoryPool{T}.Shared"/> draws on the shared array pool, which keeps too few arrays per size to cover a
/// connection's buffered bytes (up to its pause threshold each way), so a busy connection allocated segments anew.
/// </summary>
internal sealed class PooledMemoryPool : MemoryPool<byte>
{
    private static readonly ObjectPool<Owner> Owners = new(() => new Owner(), 1024);

    private PooledMemoryPool()
    {
    }

    /// <summary>The one instance.</summary>
    public static PooledMemoryPool Instance { get; } = new();

    /// <inheritdoc />
    public override int MaxBufferSize => BufferPool.MaxPooledLength;

    /// <inheritdoc />
    /// <remarks>Buffers beyond <see cref="MaxBufferSize"/> are allocated and not pooled.</remarks>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        var owner = Owners.Rent();
        owner.Array = BufferPool.Rent(minBufferSize <= 0 ? 4096 : minBufferSize);
        return owner;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Owner : IMemoryOwner<byte>
    {
        public byte[]? Array;

        public Memory<byte> Memory => Array ?? throw new ObjectDisposedException(nameof(PooledMemoryPool));

        public void Dispose()
        {
            var array = Interlocked.Exchange(ref Array, null);
            if (array is not null)
            {
                BufferPool.Return(array);
                Owners.Return(this);
            }
        }
    }
}
