using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>The receiver of a socket created with <see cref="SocketOptions.NoReceive"/>: drops what arrives.</summary>
internal sealed class NoneReceiver : Receiver
{
    public static readonly NoneReceiver Instance = new();

    public override ValueTask DeliverAsync(Message message, CancellationToken cancellationToken)
    {
        message.Dispose();
        return default;
    }

    public override bool TryDeliver(Message message)
    {
        message.Dispose();
        return true;
    }

    public override RoomWait WaitForRoom(IBlockedWriter writer) => RoomWait.RoomNow;

    public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken)
    {
        Throw.NoReceive();
        return default;
    }

    public override bool TryReceive(out Message? message)
    {
        Throw.NoReceive();
        message = null;
        return false;
    }

    public override IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken)
    {
        Throw.NoReceive();
        return null!;
    }

    public override void Complete()
    {
    }
}
