namespace MultiSocket.Protocols;

/// <summary>
/// A survey received by a <see cref="RespondentSocket"/>: its content (without the survey id) and the way back to
/// the surveyor. Answer it with <see cref="RespondAsync"/> (at most once), or not at all.
/// </summary>
/// <remarks>Dispose it to release the message; <see cref="RespondAsync"/> still works after disposal.</remarks>
public sealed class Survey : Inquiry
{
    internal Survey(Socket socket, uint id, Message message)
        : base(socket, id, message)
    {
    }

    /// <summary>
    /// Sends <paramref name="content"/> back to the surveyor (by the survey's source path). A response that arrives
    /// after the survey's deadline is discarded by the surveyor.
    /// </summary>
    /// <exception cref="InvalidOperationException">This survey was already answered.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for room.</exception>
    public ValueTask RespondAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        AnswerAsync(content, "response per respondent", cancellationToken);
}
