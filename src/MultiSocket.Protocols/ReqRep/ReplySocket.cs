namespace MultiSocket.Protocols;

/// <summary>
/// The replying side of request/reply: receive <see cref="Request"/>s and answer each with
/// <see cref="Request.ReplyAsync"/>. Any number of tasks may receive at once (each request goes to one of them), and
/// replies may be sent in any order from any task.
/// </summary>
public sealed class ReplySocket : AnsweringSocket<Request>
{
    /// <summary>Creates a reply socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public ReplySocket(SocketOptions? options = null)
        : base(options, "reply", static (socket, id, message) => new Request(socket, id, message))
    {
    }

    /// <summary>Waits for the next request. The caller disposes it when done.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<Request> ReceiveRequestAsync(CancellationToken cancellationToken = default) => ReceiveOneAsync(cancellationToken);

    /// <summary>
    /// The requests as a stream: <c>await foreach (var req in rep.ReceiveRequestsAsync(ct))</c>. Several consumers
    /// may enumerate at once; each request goes to one. The stream ends when the socket is disposed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Request> ReceiveRequestsAsync(CancellationToken cancellationToken = default) => ReceiveEveryAsync(cancellationToken);
}
