namespace MultiSocket.Protocols;

/// <summary>
/// The control messages a subscriber sends its publishers: flags <see cref="MessageFlags.Control"/>, content = one
/// op byte followed by the prefix bytes. A publisher keeps a set of prefixes per pipe (repeats are harmless).
/// </summary>
internal static class SubscriptionControl
{
    public const byte Subscribe = 1;
    public const byte Unsubscribe = 2;

    public static Message Create(byte op, ReadOnlySpan<byte> prefix, SendType sendType, byte ttl, MessagePath destination = default)
    {
        var message = Message.Create(1 + prefix.Length, sendType);
        var bytes = message.WritableContent.Span;
        bytes[0] = op;
        prefix.CopyTo(bytes[1..]);
        message.Flags = MessageFlags.Control;
        message.Ttl = ttl;
        message.Destination = destination;
        return message;
    }

    public static bool IsControl(Message message) => (message.Flags & MessageFlags.Control) != 0;

    /// <summary>True when <paramref name="content"/> starts with any of <paramref name="prefixes"/>.</summary>
    public static bool Matches(byte[][] prefixes, ReadOnlySpan<byte> content)
    {
        foreach (var prefix in prefixes)
        {
            if (content.StartsWith(prefix))
            {
                return true;
            }
        }

        return false;
    }

    public static int IndexOf(byte[][] prefixes, ReadOnlySpan<byte> prefix)
    {
        for (int i = 0; i < prefixes.Length; i++)
        {
            if (prefix.SequenceEqual(prefixes[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public static byte[][] With(byte[][] prefixes, ReadOnlySpan<byte> prefix) =>
        IndexOf(prefixes, prefix) >= 0 ? prefixes : [.. prefixes, prefix.ToArray()];

    public static byte[][] Without(byte[][] prefixes, ReadOnlySpan<byte> prefix)
    {
        int at = IndexOf(prefixes, prefix);
        return at < 0 ? prefixes : [.. prefixes[..at], .. prefixes[(at + 1)..]];
    }
}
