using System.Buffers;

namespace MultiSocket;

/// <summary>Writes messages as native frames straight into a <see cref="IBufferWriter{T}"/> (a <c>PipeWriter</c>).</summary>
public static class FrameEncoder
{
    // Frames up to this size are written into one span, with a single Advance.
    private const int SingleSpanLimit = 16 * 1024;

    /// <summary>Bytes <paramref name="message"/> takes on the wire.</summary>
    public static int GetFrameSize(Message message) =>
        FrameHeader.Size + message.Source.WireSize + message.Destination.WireSize + message.Length;

    /// <summary>Writes <paramref name="message"/> as one frame. The message is not disposed.</summary>
    /// <exception cref="ArgumentException">A path is longer than 255 ids.</exception>
    public static void Write(IBufferWriter<byte> writer, Message message)
    {
        int prefix = FrameHeader.Size + message.Source.WireSize + message.Destination.WireSize;
        int total = prefix + message.Length;
        if (total <= SingleSpanLimit)
        {
            var span = writer.GetSpan(total);
            WritePrefix(span, message);
            message.Content.Span.CopyTo(span[prefix..]);
            writer.Advance(total);
            return;
        }

        var head = writer.GetSpan(prefix);
        WritePrefix(head, message);
        writer.Advance(prefix);
        writer.Write(message.Content.Span);
    }

    /// <summary>
    /// Writes <paramref name="message"/> as one frame at the start of <paramref name="destination"/>, which must hold
    /// <paramref name="frameSize"/> (<see cref="GetFrameSize"/>) bytes. Lets a writer pack many frames into one span.
    /// </summary>
    /// <exception cref="ArgumentException">A path is longer than 255 ids.</exception>
    internal static void WriteTo(Span<byte> destination, Message message, int frameSize)
    {
        WritePrefix(destination, message);
        message.Content.Span.CopyTo(destination[(frameSize - message.Length)..]);
    }

    /// <summary>Encodes <paramref name="message"/> into a new array (for tests and tools, not the hot path).</summary>
    public static byte[] ToArray(Message message)
    {
        var writer = new ArrayBufferWriter<byte>(GetFrameSize(message));
        Write(writer, message);
        return writer.WrittenSpan.ToArray();
    }

    private static void WritePrefix(Span<byte> span, Message message)
    {
        if (message.Source.Count > MessagePath.MaxLength || message.Destination.Count > MessagePath.MaxLength)
        {
            throw new ArgumentException("A path on the wire holds at most 255 ids.", nameof(message));
        }

        FrameHeader.For(message).WriteTo(span);
        int at = FrameHeader.Size;
        at += message.Source.WriteTo(span[at..]);
        message.Destination.WriteTo(span[at..]);
    }
}
