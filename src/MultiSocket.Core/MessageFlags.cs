namespace MultiSocket;

/// <summary>
/// Flag bits of the wire header above the two send-type bits. Bits 6 and 7 are free for protocols.
/// </summary>
[Flags]
public enum MessageFlags : byte
{
    /// <summary>No flag set.</summary>
    None = 0,

    /// <summary>A socket-internal message.</summary>
    Internal = 1 << 2,

    /// <summary>The sender asks that no source path be recorded.</summary>
    NoSource = 1 << 3,

    /// <summary>The message came from (or goes to) a raw, unframed pipe.</summary>
    Raw = 1 << 4,

    /// <summary>A protocol control message (for example a subscription update).</summary>
    Control = 1 << 5,

    /// <summary>First flag bit left for protocols.</summary>
    Protocol1 = 1 << 6,

    /// <summary>Second flag bit left for protocols.</summary>
    Protocol2 = 1 << 7,
}
