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

    /// <summary>
    /// Queues <paramref name="entry"/> to be set once a write may find room (or the outbox closes), unless there is room
    /// now or it is closing. One waiter may be queued on several outboxes: the first to set it wins.
    /// </summary>
    RoomWait AddRoomWaiter(WaiterEntry entry);

    /// <summary>Takes no more messages: blocked writers fail, and what was taken is still delivered.</summary>
    void CompleteWriting();
}
