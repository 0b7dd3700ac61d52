using System.Buffers.Binary;

namespace MultiSocket.Protocols;

/// <summary>
/// The 4-byte big-endian id that req/rep and surveyor/respondent put in front of the content to match answers
/// with questions. An answer carries the id of its question.
/// </summary>
internal static class IdHeader
{
    public const int Size = 4;

    /// <summary>A new message holding <paramref name="id"/> followed by <paramref name="content"/>.</summary>
    public static Message Create(uint id, ReadOnlySpan<byte> content, SendType sendType, byte ttl, MessagePath destination = default)
    {
        var message = Message.Create(Size + content.Length, sendType);
        var bytes = message.WritableContent.Span;
        BinaryPrimitives.WriteUInt32BigEndian(bytes, id);
        content.CopyTo(bytes[Size..]);
        message.Ttl = ttl;
        message.Destination = destination;
        return message;
    }

    /// <summary>
    /// Reads the id and removes it from the content in place (the message's buffer is reused, nothing is allocated).
    /// </summary>
    /// <returns>False when the content is too short to hold an id.</returns>
    public static bool TryStrip(Message message, out uint id)
    {
        if (message.Length < Size)
        {
            id = 0;
            return false;
        }

        var bytes = message.WritableContent.Span;
        id = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        bytes[Size..].CopyTo(bytes);
        message.Truncate(message.Length - Size);
        return true;
    }

    /// <summary>The next id of a counter, never 0 (0 is kept for "no id").</summary>
    public static uint Next(ref int counter)
    {
        uint id;
        do
        {
            id = (uint)Interlocked.Increment(ref counter);
        }
        while (id == 0);
        return id;
    }
}
