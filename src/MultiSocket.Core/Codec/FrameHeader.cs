using System.Buffers;
using System.Buffers.Binary;

namespace MultiSocket;

/// <summary>
/// The fixed 8-byte header that starts every native frame: flags, ttl, hops, distance and a big-endian content
/// length. The source path (4 × hops bytes), the destination path (4 × distance bytes) and the content follow.
/// </summary>
public readonly record struct FrameHeader(byte FlagsByte, byte Ttl, byte Hops, byte Distance, uint Length)
{
    /// <summary>Size of the fixed header in bytes.</summary>
    public const int Size = 8;

    /// <summary>The send type (low two bits of the flags byte).</summary>
    public SendType SendType => (SendType)(FlagsByte & 0x03);

    /// <summary>The flag bits above the send type.</summary>
    public MessageFlags Flags => (MessageFlags)(FlagsByte & 0xFC);

    /// <summary>Bytes taken by the source and destination paths.</summary>
    public int PathsSize => (Hops + Distance) * 4;

    /// <summary>Bytes of the whole frame: header, paths and content.</summary>
    public long FrameSize => Size + PathsSize + (long)Length;

    /// <summary>Builds the header a message is sent with.</summary>
    public static FrameHeader For(Message message) => new(
        (byte)((byte)message.SendType | ((byte)message.Flags & 0xFC)),
        message.Ttl,
        (byte)message.Source.Count,
        (byte)message.Destination.Count,
        (uint)message.Length);

    /// <summary>Reads a header from the first 8 bytes of <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than 8 bytes were given.</exception>
    public static FrameHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"A frame header is {Size} bytes; got {source.Length}.", nameof(source));
        }

        return new FrameHeader(source[0], source[1], source[2], source[3], BinaryPrimitives.ReadUInt32BigEndian(source[4..]));
    }

    /// <summary>Reads a header from the start of a sequence that may be split across segments.</summary>
    /// <returns>False when fewer than 8 bytes are available.</returns>
    public static bool TryRead(in ReadOnlySequence<byte> source, out FrameHeader header)
    {
        var first = source.FirstSpan;
        if (first.Length >= Size)
        {
            header = Read(first);
            return true;
        }

        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        source.Slice(0, Size).CopyTo(bytes);
        header = Read(bytes);
        return true;
    }

    /// <summary>Writes the header into the first 8 bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination[0] = FlagsByte;
        destination[1] = Ttl;
        destination[2] = Hops;
        destination[3] = Distance;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Length);
    }
}
