namespace MultiSocket.Protocols;

/// <summary>
/// A message that expects one answer, as received by an answering socket (a <see cref="Request"/> or a
/// <see cref="Survey"/>): its content without the 4-byte id, the id, and the way back to the asker.
/// </summary>
/// <remarks>Dispose it to release the message; answering still works after disposal.</remarks>
public abstract class Inquiry : IDisposable
{
    private readonly Socket _socket;
    private Message? _message;
    private int _answered;

    private protected Inquiry(Socket socket, uint id, Message message)
    {
        _socket = socket;
        Id = id;
        Source = message.Source;
        _message = message;
    }

    /// <summary>The id the asker chose (it travels back in front of the answer).</summary>
    public uint Id { get; }

    /// <summary>The path back to the asker.</summary>
    public MessagePath Source { get; }

    /// <summary>The message, its content without the id.</summary>
    /// <exception cref="ObjectDisposedException">The inquiry is disposed.</exception>
    public Message Message => _message ?? throw new ObjectDisposedException(GetType().Name);

    /// <summary>The content (without the id). Valid until disposed.</summary>
    /// <exception cref="ObjectDisposedException">The inquiry is disposed.</exception>
    public ReadOnlyMemory<byte> Content => Message.Content;

    /// <summary>True once an answer was sent.</summary>
    public bool HasReplied => Volatile.Read(ref _answered) != 0;

    /// <summary>The content decoded as UTF-8.</summary>
    /// <exception cref="ObjectDisposedException">The inquiry is disposed.</exception>
    public string ContentAsString() => Message.ContentAsString();

    /// <summary>Releases the message.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _message, null)?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Sends the one answer back along <see cref="Source"/>, the id in front.</summary>
    private protected ValueTask AnswerAsync(ReadOnlyMemory<byte> content, string what, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
        {
            throw new InvalidOperationException($"{GetType().Name} {Id} was already answered; it takes one {what}.");
        }

        _socket.ThrowIfDisposed();
        var answer = IdHeader.Create(Id, content.Span, SendType.ToDestination, _socket.Options.SendTtl, Source);
        return _socket.SendMessageAsync(answer, cancellationToken);
    }
}
