namespace MultiSocket.Tools.Mscat;

/// <summary>How received messages are printed on standard output (<c>--format</c>).</summary>
internal enum MessageFormat
{
    /// <summary>The content bytes exactly as received, with nothing between messages.</summary>
    Raw,

    /// <summary>Printable ASCII (0x20–0x7e) as is, every other byte as '.', one message per line.</summary>
    Ascii,

    /// <summary>A C-style escaped string in double quotes, one message per line.</summary>
    Quoted,

    /// <summary>Two lowercase hex digits per byte, one message per line.</summary>
    Hex,
}
