namespace MultiSocket;

/// <summary>How a socket chooses the pipes a message is written to (the low two bits of the wire flags).</summary>
public enum SendType : byte
{
    /// <summary>One connected pipe, chosen fairly among those with room in their send queue.</summary>
    ToOne = 0,

    /// <summary>Every connected pipe.</summary>
    ToAll = 1,

    /// <summary>The pipe named by the first id of the message's destination path.</summary>
    ToDestination = 2,
}
