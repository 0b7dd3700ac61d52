namespace MultiSocket;

/// <summary>What was wrong with a frame that closed a pipe.</summary>
public enum FrameError
{
    /// <summary>The content length exceeds the pipe's receive limit.</summary>
    ContentTooLong,

    /// <summary>The send type bits hold 3, which no sender uses.</summary>
    InvalidSendType,

    /// <summary>The hops or distance fields do not fit the send type (for example a to-destination frame with no destination, or hops already at 255).</summary>
    InvalidPath,

    /// <summary>The stream ended in the middle of a frame.</summary>
    Truncated,
}
