namespace MultiSocket.Protocols;

/// <summary>
/// A survey received by a <see cref="RespondentSocket"/>: its content (without the survey id) and the way back to
/// the surveyor. Answer it with <see cref="RespondAsync"/> (at most once), or not at all.
/// </summary>
/// <remarks>Dispose it to release the message; <see cref="RespondAsync"/> still works after disposal.</remarks>
public sealed class Survey : IDisposable
{
    private readonly Socket _socket;
    private Message? _message;
    private int _responded;

    internal Survey(Socket socket, uint id, Message message)
    {
        _socket = socket;
        Id = id;
        Source = message.Source;
        _message = message;
    }

    /// <summary>The survey id the surveyor chose (it travels back in front of the response).</summary>
    public uint Id { get; }

    /// <summary>The path back to the surveyor.</summary>
    public MessagePath Source { get; }

    /// <summary>The survey message, its content without the survey id.</summary>
    /// <exception cref="ObjectDisposedException">The survey is disposed.</exception>
    public Message Message => _message ?? throw new ObjectDisposedException(nameof(Survey));

    /// <summary>The survey's content (without the survey id). Valid until the survey is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The survey is disposed.</exception>
    public ReadOnlyMemory<byte> Content => Message.Content;

    /// <summary>The content decoded as UTF-8.</summary>
    /// <exception cref="ObjectDisposedException">The survey is disposed.</exception>
    public string ContentAsString() => Message.ContentAsString();

    /// <summary>
    /// Sends <paramref name="content"/> back to the surveyor (by the survey's source path). A response that arrives
    /// after the survey's deadline is discarded by the surveyor.
    /// </summary>
    /// <exception cref="InvalidOperationException">This survey was already answered.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for room.</exception>
    public ValueTask RespondAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _responded, 1) != 0)
        {
            throw new InvalidOperationException($"Survey {Id} was already answered; a survey takes one response per respondent.");
        }

        _socket.ThrowIfDisposed();
        var response = IdHeader.Create(Id, content.Span, SendType.ToDestination, _socket.Options.SendTtl, Source);
        return _socket.SendMessageAsync(response, cancellationToken);
    }

    /// <summary>Releases the survey message.</summary>
    public void Dispose() => Interlocked.Exchange(ref _message, null)?.Dispose();
}
