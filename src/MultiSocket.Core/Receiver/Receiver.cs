namespace MultiSocket;

/// <summary>Where pipes hand the messages they receive: the receive side of a socket.</summary>
internal abstract class Receiver
{
    /// <summary>Takes ownership of <paramref name="message"/>; waits when the receive queue is full.</summary>
    public abstract ValueTask DeliverAsync(Message message, CancellationToken cancellationToken);

    public abstract ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken);

    public abstract bool TryReceive(out Message? message);

    public abstract IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken);

    /// <summary>No more messages will arrive: pending and future receives end.</summary>
    public abstract void Complete();
}
