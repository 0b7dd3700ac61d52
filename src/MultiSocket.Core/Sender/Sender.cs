namespace MultiSocket;

/// <summary>A send strategy: how a socket picks the pipes a message goes to.</summary>
internal abstract class Sender
{
    protected Sender(Socket socket)
    {
        Socket = socket;
        BestEffort = socket.Options.BestEffort;
    }

    protected Socket Socket { get; }

    protected bool BestEffort { get; }

    /// <summary>Takes ownership of <paramref name="message"/> and queues it.</summary>
    public abstract ValueTask SendAsync(Message message, CancellationToken cancellationToken);

    protected void Drop(Message message)
    {
        message.Dispose();
        Socket.Statistics.OnDropped();
    }
}
