namespace MultiSocket;

public sealed partial class Socket
{
    /// <summary>
    /// Queues <paramref name="message"/> on the pipe <paramref name="pipeId"/> without waiting, for protocols that pick
    /// pipes themselves (pub/sub sends each message only to the pipes whose subscriptions match it).
    /// </summary>
    /// <remarks>
    /// On success the pipe owns the reference passed in; on failure the caller still owns it. To share one message
    /// between several pipes, take a reference per pipe with <see cref="Message.AddRef"/> before each call.
    /// </remarks>
    /// <returns>False when the pipe is gone, closing, or its send queue is full.</returns>
    internal bool TrySendToPipe(uint pipeId, Message message) =>
        !_disposed && _pipeById.TryGetValue(pipeId, out var pipe) && pipe.TryEnqueue(message);
}
