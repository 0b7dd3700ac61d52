using System.Threading.Channels;

namespace MultiSocket.Internal;

/// <summary>
/// Where a pipe's sends go: a byte-stream pipe's <see cref="SendQueue"/> (drained by its write loop), or an in-process
/// pipe's <see cref="Transport.MessageLink"/> (straight to the peer's receive queue).
/// </summary>
internal interface IOutbox
{
    /// <summary>Takes a message if there is room; false when full or closing (the message is still the caller's, unchanged).</summary>
    bool TryWrite(Message message);

    /// <summary>Takes a message, waiting for room.</summary>
    /// <exception cref="ChannelClosedException">Closed first (the message is still the caller's, unchanged).</exception>
    ValueTask WriteAsync(Message message, CancellationToken cancellationToken);

    /// <summary>Waits until a write may find room; false when closing.</summary>
    ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken);

    /// <summary>Takes no more messages: blocked writers fail, and what was taken is still delivered.</summary>
    void CompleteWriting();
}
