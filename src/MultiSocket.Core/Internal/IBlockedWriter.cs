namespace MultiSocket.Internal;

/// <summary>A writer waiting for room in a socket's receive queue; a consumer resumes it once room has been made.</summary>
internal interface IBlockedWriter
{
    /// <summary>Resumes the writer; false when it had already gone (its wait was cancelled).</summary>
    bool Resume();
}

/// <summary>What <see cref="Receiver.WaitForRoom"/> did with a writer.</summary>
internal enum RoomWait
{
    /// <summary>Queued: a consumer resumes it once the queue has drained to half.</summary>
    Queued,

    /// <summary>Not queued: the queue has room now, so try again.</summary>
    RoomNow,

    /// <summary>Not queued: the receiver takes no more messages.</summary>
    Completed,
}
