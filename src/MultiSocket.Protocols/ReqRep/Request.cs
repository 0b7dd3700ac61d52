namespace MultiSocket.Protocols;

/// <summary>
/// A request received by a <see cref="ReplySocket"/>: its content (without the request id) and the way back to the
/// requester. Answer it with <see cref="ReplyAsync"/>, from any task, in any order relative to other requests.
/// </summary>
/// <remarks>Dispose it to release the message; <see cref="ReplyAsync"/> still works after disposal.</remarks>
public sealed class Request : IDisposable
{
    private readonly Socket _socket;
    private Message? _message;
    private int _replied;

    internal Request(Socket socket, uint id, Message message)
    {
        _socket = socket;
        Id = id;
        Source = message.Source;
        _message = message;
    }

    /// <summary>The request id the requester chose (it travels back in front of the reply).</summary>
    public uint Id { get; }

    /// <summary>The path back to the requester.</summary>
    public MessagePath Source { get; }

    /// <summary>The request message, its content without the request id.</summary>
    /// <exception cref="ObjectDisposedException">The request is disposed.</exception>
    public Message Message => _message ?? throw new ObjectDisposedException(nameof(Request));

    /// <summary>The request's content (without the request id). Valid until the request is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The request is disposed.</exception>
    public ReadOnlyMemory<byte> Content => Message.Content;

    /// <summary>True once a reply was sent.</summary>
    public bool HasReplied => Volatile.Read(ref _replied) != 0;

    /// <summary>The content decoded as UTF-8.</summary>
    /// <exception cref="ObjectDisposedException">The request is disposed.</exception>
    public string ContentAsString() => Message.ContentAsString();

    /// <summary>
    /// Sends <paramref name="content"/> back to the requester (by the request's source path, through switches too).
    /// Completes once the reply is queued; a requester that has gone away makes the reply unroutable (dropped and
    /// counted in <see cref="SocketStatistics.Unroutable"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">This request was already answered.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for room.</exception>
    public ValueTask ReplyAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _replied, 1) != 0)
        {
            throw new InvalidOperationException($"Request {Id} was already answered; a request takes one reply.");
        }

        _socket.ThrowIfDisposed();
        var reply = IdHeader.Create(Id, content.Span, SendType.ToDestination, _socket.Options.SendTtl, Source);
        return _socket.SendMessageAsync(reply, cancellationToken);
    }

    /// <summary>Releases the request message.</summary>
    public void Dispose() => Interlocked.Exchange(ref _message, null)?.Dispose();
}
