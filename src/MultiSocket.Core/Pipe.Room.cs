namespace MultiSocket;

internal sealed partial class Pipe
{
    /// <summary>Waits until the send queue has room for a message; false when the pipe is closing.</summary>
    public ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken) => _outbox.WaitForRoomAsync(cancellationToken);
}
