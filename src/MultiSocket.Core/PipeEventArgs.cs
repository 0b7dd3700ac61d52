namespace MultiSocket;

/// <summary>A pipe (one peer connection) was added to or removed from a socket.</summary>
public sealed class PipeEventArgs : EventArgs
{
    internal PipeEventArgs(uint pipeId, string localAddress, string remoteAddress, bool isDialed, Exception? error)
    {
        PipeId = pipeId;
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        IsDialed = isDialed;
        Error = error;
    }

    /// <summary>The pipe's id on this socket (the first id of the source path of messages it delivers).</summary>
    public uint PipeId { get; }

    /// <summary>This end's address.</summary>
    public string LocalAddress { get; }

    /// <summary>The peer's address.</summary>
    public string RemoteAddress { get; }

    /// <summary>True when this socket dialed the connection, false when it accepted it.</summary>
    public bool IsDialed { get; }

    /// <summary>
    /// For a removed pipe, why it closed: null for an orderly close (peer or local), a <see cref="FrameException"/> for
    /// bad input, or the transport's error.
    /// </summary>
    public Exception? Error { get; }

    /// <inheritdoc />
    public override string ToString() => $"pipe {PipeId} {LocalAddress} <-> {RemoteAddress}{(Error is null ? "" : $" ({Error.Message})")}";
}
