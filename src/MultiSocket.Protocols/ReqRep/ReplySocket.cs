using System.Runtime.CompilerServices;

namespace MultiSocket.Protocols;

/// <summary>
/// The replying side of request/reply: receive <see cref="Request"/>s and answer each with
/// <see cref="Request.ReplyAsync"/>. Any number of tasks may receive at once (each request goes to one of them), and
/// replies may be sent in any order from any task.
/// </summary>
public sealed class ReplySocket : ProtocolSocket
{
    private long _discarded;

    /// <summary>Creates a reply socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public ReplySocket(SocketOptions? options = null)
        : base(Configure(options))
    {
    }

    /// <summary>Messages discarded because they were too short to hold a request id.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>Waits for the next request. The caller disposes it when done.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask<Request> ReceiveRequestAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        while (true)
        {
            var message = await Socket.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (TryAccept(message) is { } request)
            {
                return request;
            }
        }
    }

    /// <summary>
    /// The requests as a stream: <c>await foreach (var req in rep.ReceiveRequestsAsync(ct))</c>. Several consumers
    /// may enumerate at once; each request goes to one. The stream ends when the socket is disposed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Request> ReceiveRequestsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ReceiveAllCoreAsync(cancellationToken);
    }

    private async IAsyncEnumerable<Request> ReceiveAllCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in Socket.ReceiveAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (TryAccept(message) is { } request)
            {
                yield return request;
            }
        }
    }

    private Request? TryAccept(Message message)
    {
        if (IdHeader.TryStrip(message, out uint id) && !message.Source.IsEmpty)
        {
            return new Request(Socket, id, message);
        }

        message.Dispose();
        Interlocked.Increment(ref _discarded);
        return null;
    }

    private static SocketOptions Configure(SocketOptions? options)
    {
        options ??= SocketOptions.Default;
        if (options.NoSend || options.NoReceive)
        {
            throw new ArgumentException("A reply socket both sends and receives: NoSend and NoReceive must be false.", nameof(options));
        }

        return options;
    }
}
