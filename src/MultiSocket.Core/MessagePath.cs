using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace MultiSocket;

/// <summary>
/// A route through the network as a list of pipe ids (each meaningful only to the node that issued it).
/// A message's <see cref="Message.Source"/> lists the pipes it came through, nearest hop first; its
/// <see cref="Message.Destination"/> lists the pipes it still has to take, next hop first.
/// </summary>
/// <remarks>
/// A value type: paths of up to four ids (the common case) are stored inline and cost no allocation; longer paths
/// keep their ids in an array. A path stays valid after the message it came from is disposed, so
/// <c>SendToAsync(msg.Source, …)</c> is safe at any time. On the wire every id is a big-endian uint32.
/// </remarks>
public readonly struct MessagePath : IEquatable<MessagePath>
{
    /// <summary>The largest number of ids a path can hold (the wire's hops and distance are single bytes).</summary>
    public const int MaxLength = byte.MaxValue;

    private const int InlineCapacity = 4;

    private readonly InlineIds _inline;
    private readonly uint[]? _heap;
    private readonly int _count;

    /// <summary>The empty path.</summary>
    public static MessagePath Empty => default;

    private MessagePath(in InlineIds inline, int count)
    {
        _inline = inline;
        _count = count;
    }

    private MessagePath(uint[] heap)
    {
        _heap = heap;
        _count = heap.Length;
    }

    /// <summary>Creates a path from pipe ids, first hop first.</summary>
    /// <exception cref="ArgumentException">The path is longer than <see cref="MaxLength"/> or holds the id 0.</exception>
    public MessagePath(params ReadOnlySpan<uint> ids)
    {
        if (ids.Length > MaxLength)
        {
            throw new ArgumentException($"A path holds at most {MaxLength} ids; got {ids.Length}.", nameof(ids));
        }

        foreach (var id in ids)
        {
            if (id == 0)
            {
                throw new ArgumentException("Pipe id 0 is never used and cannot appear in a path.", nameof(ids));
            }
        }

        this = Create(ids);
    }

    /// <summary>Number of pipe ids in the path.</summary>
    public int Count => _count;

    /// <summary>True when the path holds no id.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The first id (the nearest hop), or 0 when the path is empty.</summary>
    public uint First => _count == 0 ? 0 : this[0];

    /// <summary>The id at <paramref name="index"/>, counted from the first hop.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the path.</exception>
    public uint this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                Throw.IndexOutOfRange(index, _count);
            }

            return _heap is null ? _inline[index] : _heap[index];
        }
    }

    /// <summary>Copies the ids, first hop first, into <paramref name="destination"/>.</summary>
    /// <returns>The number of ids copied (<see cref="Count"/>).</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the path.</exception>
    public int CopyTo(Span<uint> destination)
    {
        if (destination.Length < _count)
        {
            throw new ArgumentException("Destination is too small for the path.", nameof(destination));
        }

        AsSpan().CopyTo(destination);
        return _count;
    }

    /// <summary>The ids as a new array, first hop first.</summary>
    public uint[] ToArray() => AsSpan().ToArray();

    [UnscopedRef]
    private ReadOnlySpan<uint> AsSpan() =>
        _heap is not null ? _heap : ((ReadOnlySpan<uint>)_inline)[.._count];

    /// <summary>A new path with <paramref name="id"/> in front of this one.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is 0, which no pipe has (as in the constructor).</exception>
    /// <exception cref="InvalidOperationException">The path is already <see cref="MaxLength"/> long.</exception>
    public MessagePath Prepend(uint id)
    {
        ArgumentOutOfRangeException.ThrowIfZero(id);
        if (_count >= MaxLength)
        {
            throw new InvalidOperationException($"A path holds at most {MaxLength} ids.");
        }

        if (HasInlineRoom)
        {
            var path = this;
            PrependInPlace(ref path, id);
            return path;
        }

        var heap = new uint[_count + 1];
        heap[0] = id;
        AsSpan().CopyTo(heap.AsSpan(1));
        return new MessagePath(heap);
    }

    /// <summary>This path without its first id (the route left after taking the next hop).</summary>
    public MessagePath RemoveFirst() => _count <= 1 ? Empty : Create(AsSpan()[1..]);

    /// <summary>True when the ids are stored inline (no array): <see cref="RemoveFirstInPlace"/> applies.</summary>
    internal bool IsInline => _heap is null;

    /// <summary>True when one more id fits inline: <see cref="PrependInPlace"/> applies.</summary>
    internal bool HasInlineRoom => _heap is null && _count < InlineCapacity;

    /// <summary>
    /// Puts <paramref name="id"/> in front of an inline path where it lies (<see cref="HasInlineRoom"/> must hold): one
    /// 16-byte shuffle. Every in-process arrival does this; building a new path and copying it into the message cost
    /// a quarter of the sender's time (a memmove call, and a store-forwarding stall on reading the ids back).
    /// </summary>
    internal static void PrependInPlace(ref MessagePath path, uint id)
    {
        Debug.Assert(path.HasInlineRoom, "The path has no inline room.");
        ref var ids = ref Unsafe.As<InlineIds, Vector128<uint>>(ref Unsafe.AsRef(in path._inline));

        // Lane 4 is out of range, so the shuffle fills lane 0 with zero; ids past the count stay zero.
        ids = Vector128.Shuffle(ids, Vector128.Create(4u, 0, 1, 2)) | Vector128.CreateScalar(id);
        Unsafe.AsRef(in path._count)++;
    }

    /// <summary>Takes the first id off an inline path where it lies (<see cref="IsInline"/> must hold); 0 when empty.</summary>
    internal static uint RemoveFirstInPlace(ref MessagePath path)
    {
        Debug.Assert(path.IsInline, "The path is not inline.");
        if (path._count == 0)
        {
            return 0;
        }

        ref var ids = ref Unsafe.As<InlineIds, Vector128<uint>>(ref Unsafe.AsRef(in path._inline));
        uint first = ids.ToScalar();
        ids = Vector128.Shuffle(ids, Vector128.Create(1u, 2, 3, 4));
        Unsafe.AsRef(in path._count)--;
        return first;
    }

    /// <summary>Bytes this path takes on the wire.</summary>
    public int WireSize => _count * 4;

    /// <summary>Writes the ids as big-endian uint32s into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written (<see cref="WireSize"/>).</returns>
    public int WriteTo(Span<byte> destination)
    {
        var ids = AsSpan();
        if (destination.Length < ids.Length * 4)
        {
            throw new ArgumentException("Destination is too small for the path.", nameof(destination));
        }

        for (int i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(i * 4, 4), ids[i]);
        }

        return ids.Length * 4;
    }

    /// <summary>Reads <paramref name="count"/> big-endian ids, with <paramref name="first"/> (if non-zero) put in front.</summary>
    internal static MessagePath Read(ref SequenceReader<byte> reader, int count, uint first = 0)
    {
        int size = count * 4;
        if (reader.UnreadSpan.Length >= size)
        {
            var path = Read(reader.UnreadSpan[..size], count, first);
            reader.Advance(size);
            return path;
        }

        // Split across segments: at most 255 ids.
        Span<byte> bytes = stackalloc byte[size];
        reader.TryCopyTo(bytes);
        reader.Advance(size);
        return Read(bytes, count, first);
    }

    /// <summary>Reads <paramref name="count"/> big-endian ids from <paramref name="bytes"/>, with <paramref name="first"/> (if non-zero) put in front.</summary>
    internal static MessagePath Read(ReadOnlySpan<byte> bytes, int count, uint first = 0)
    {
        int total = count + (first != 0 ? 1 : 0);
        if (total == 0)
        {
            return Empty;
        }

        var inline = default(InlineIds);
        uint[]? heap = total > InlineCapacity ? new uint[total] : null;
        Span<uint> ids = heap is null ? inline : heap;
        int at = 0;
        if (first != 0)
        {
            ids[at++] = first;
        }

        for (int i = 0; i < count; i++)
        {
            ids[at++] = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(i * 4, 4));
        }

        return heap is null ? new MessagePath(inline, total) : new MessagePath(heap);
    }

    /// <summary>Parses a path from big-endian uint32s (as on the wire).</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 4 or the path is too long.</exception>
    public static MessagePath FromWire(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 4 != 0 || bytes.Length / 4 > MaxLength)
        {
            throw new ArgumentException("A wire path is a whole number of 4-byte ids, at most 255 of them.", nameof(bytes));
        }

        Span<uint> ids = stackalloc uint[bytes.Length / 4];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(i * 4, 4));
        }

        return Create(ids);
    }

    private static MessagePath Create(ReadOnlySpan<uint> ids)
    {
        if (ids.Length == 0)
        {
            return Empty;
        }

        if (ids.Length <= InlineCapacity)
        {
            var inline = default(InlineIds);
            ids.CopyTo(inline);
            return new MessagePath(inline, ids.Length);
        }

        return new MessagePath(ids.ToArray());
    }

    /// <inheritdoc />
    public bool Equals(MessagePath other) => AsSpan().SequenceEqual(other.AsSpan());

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessagePath other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var id in AsSpan())
        {
            hash.Add(id);
        }

        return hash.ToHashCode();
    }

    /// <summary>Compares two paths id by id.</summary>
    public static bool operator ==(MessagePath left, MessagePath right) => left.Equals(right);

    /// <summary>Compares two paths id by id.</summary>
    public static bool operator !=(MessagePath left, MessagePath right) => !left.Equals(right);

    /// <summary>The ids in order, as <c>[1 2 3]</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("[");
        var ids = AsSpan();
        for (int i = 0; i < ids.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            sb.Append(ids[i]);
        }

        return sb.Append(']').ToString();
    }

    [InlineArray(InlineCapacity)]
    private struct InlineIds
    {
        private uint _element;
    }
}
