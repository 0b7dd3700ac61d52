using MultiSocket.Internal;

namespace MultiSocket.Transport;

/// <summary>
/// An in-process connection that shares its queues' blocked-sender bookkeeping with the pipes at both ends, so the
/// reading pipe resumes a blocked sender per half queue rather than per message (see <see cref="SendRoom"/>).
/// </summary>
internal interface IMessageRoom
{
    /// <summary>Senders blocked on <see cref="IMessageConnection.Output"/>.</summary>
    SendRoom OutputRoom { get; }

    /// <summary>Senders (the peer's) blocked on <see cref="IMessageConnection.Input"/>.</summary>
    SendRoom InputRoom { get; }
}
