namespace MultiSocket.Protocols;

/// <summary>
/// A request received by a <see cref="ReplySocket"/>: its content (without the request id) and the way back to the
/// requester. Answer it with <see cref="ReplyAsync"/>, from any task, in any order relative to other requests.
/// </summary>
/// <remarks>Dispose it to release the message; <see cref="ReplyAsync"/> still works after disposal.</remarks>
public sealed class Request : Inquiry
{
    internal Request(Socket socket, uint id, Message message)
        : base(socket, id, message)
    {
    }

    /// <summary>
    /// Sends <paramref name="content"/> back to the requester (by the request's source path, through switches too).
    /// Completes once the reply is queued; a requester that has gone away makes the reply unroutable (dropped and
    /// counted in <see cref="SocketStatistics.Unroutable"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">This request was already answered.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for room.</exception>
    public ValueTask ReplyAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        AnswerAsync(content, "reply", cancellationToken);
}
