using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>Where pipes hand the messages they receive: the receive side of a socket.</summary>
internal abstract class Receiver
{
    /// <summary>Takes ownership of <paramref name="message"/>; waits when the receive queue is full.</summary>
    public abstract ValueTask DeliverAsync(Message message, CancellationToken cancellationToken);

    /// <summary>Takes ownership of <paramref name="message"/> if the receive queue has room; false (still the caller's) when full or completed.</summary>
    public abstract bool TryDeliver(Message message);

    /// <summary>
    /// True when a byte-stream pipe may queue whole reads as <see cref="ReceiveBatch"/>es for consumers to decode (its
    /// <see cref="ReceiveBatch.Carrier"/> through <see cref="DeliverAsync"/>); false when every message must be
    /// delivered on its own.
    /// </summary>
    public virtual bool AcceptsBatches => false;

    /// <summary>True when the receive queue looks full (a snapshot: a delivery may still fail, or find room).</summary>
    public virtual bool LooksFull => false;

    /// <summary>
    /// Queues <paramref name="writer"/> among the writers a consumer resumes once the receive queue has drained to half
    /// (after a failed <see cref="TryDeliver"/>), unless there is room already or the receiver is completed.
    /// </summary>
    public abstract RoomWait WaitForRoom(IBlockedWriter writer);

    public abstract ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken);

    public abstract bool TryReceive(out Message? message);

    public abstract IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken);

    /// <summary>No more messages will arrive: pending and future receives end.</summary>
    public abstract void Complete();
}
