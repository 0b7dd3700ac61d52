using MultiSocket.Internal;

namespace MultiSocket;

internal sealed partial class Pipe
{
    /// <summary>
    /// Queues <paramref name="entry"/> to be set once the send queue may have room (or the pipe closes), unless it has
    /// room now or is closing; see <see cref="IOutbox.AddRoomWaiter"/>.
    /// </summary>
    public RoomWait AddRoomWaiter(WaiterEntry entry) => _outbox.AddRoomWaiter(entry);
}
