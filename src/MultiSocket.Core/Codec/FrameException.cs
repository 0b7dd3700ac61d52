namespace MultiSocket;

/// <summary>
/// A malformed or oversized frame arrived on a pipe. The pipe is closed with this error (logged and passed to
/// <see cref="Socket.PipeRemoved"/>); the socket and its other pipes carry on.
/// </summary>
public sealed class FrameException : MultiSocketException
{
    /// <summary>Creates the exception.</summary>
    public FrameException(FrameError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>What was wrong with the frame.</summary>
    public FrameError Error { get; }
}
