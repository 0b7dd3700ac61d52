using System.Runtime.CompilerServices;

namespace MultiSocket.Protocols;

/// <summary>
/// The requesting side of request/reply: <see cref="RequestAsync"/> sends a request to one peer (round robin) and
/// returns its reply. Any number of requests may be in flight from any number of tasks; each reply finds its request
/// by the 4-byte big-endian request id in front of the content, which the replier sends back.
/// </summary>
/// <remarks>
/// Replies travel back by source path, so requests work through any number of <see cref="Switch"/>es. Replies that
/// match no waiting request (late, duplicated by a resend, or malformed) are discarded and counted in
/// <see cref="Discarded"/>.
/// </remarks>
public sealed class RequestSocket : ProtocolSocket
{
    // Requests waiting for a reply, by id. A reply is handed over under this lock, and a request leaves the table under
    // it before it ends, so a reply never reaches a request that has gone back to its pool.
    private readonly Dictionary<uint, PendingRequest> _pending = [];
    private int _nextId = Random.Shared.Next();
    private long _discarded;

    /// <summary>Creates a request socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <param name="requestOptions">Timeout and resend settings; null for <see cref="RequestOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public RequestSocket(SocketOptions? options = null, RequestOptions? requestOptions = null)
        : base(RequireDuplex(options, "A request socket both sends and receives"))
    {
        RequestOptions = requestOptions ?? RequestOptions.Default;
        RequestOptions.Validate();

        // Replies go to their requests as they arrive, on the delivering thread: a loop reading the receive queue
        // added a thread hop to every round trip.
        Socket.InterceptArrivals(OnArrival);
    }

    /// <summary>The timeout and resend settings.</summary>
    public RequestOptions RequestOptions { get; }

    /// <summary>Requests waiting for their reply now.</summary>
    public int PendingCount
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Replies discarded because no request waited for them (late, duplicate or malformed).</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>
    /// Sends <paramref name="content"/> to one peer and waits for its reply. The caller owns the returned message
    /// (its content without the request id) and must dispose it.
    /// </summary>
    /// <remarks>
    /// Waits for a peer when none is connected. With <see cref="RequestOptions.ResendInterval"/> set, the request is
    /// sent again each interval until a reply arrives. The content is copied: the caller may reuse its memory at once.
    /// The returned <see cref="ValueTask{TResult}"/> is pooled (no allocation per request in steady state): await it
    /// once, or call <see cref="ValueTask{TResult}.AsTask"/> to combine requests with <c>Task.WhenAll</c>.
    /// </remarks>
    /// <exception cref="TimeoutException">No reply arrived within <see cref="RequestOptions.Timeout"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Message> RequestAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var options = RequestOptions;
        var pending = PendingRequest.Start(options.Timeout, cancellationToken);
        uint id;
        lock (_pending)
        {
            do
            {
                id = IdHeader.Next(ref _nextId);
            }
            while (!_pending.TryAdd(id, pending));
        }

        Message? request = IdHeader.Create(id, content.Span, SendType.ToOne, Socket.Options.SendTtl);
        try
        {
            var resend = options.ResendInterval;
            while (true)
            {
                // Without resends the request is sent once and handed over; with them, a copy goes each time.
                var attempt = resend is null ? request : request!.Clone();
                if (resend is null)
                {
                    request = null;
                }

                await Socket.SendMessageAsync(attempt!, pending.Limit).ConfigureAwait(false);
                if (!await pending.WaitAsync(resend).ConfigureAwait(false))
                {
                    continue;   // no reply within the resend interval: send again
                }

                if (pending.TakeReply() is { } reply)
                {
                    return reply;
                }

                if (pending.SocketDisposed)
                {
                    ThrowIfDisposed();
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw TimedOut(options);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The limit fired while sending (waiting for room or for a peer).
            ThrowIfDisposed();
            throw TimedOut(options);
        }
        finally
        {
            request?.Dispose();
            lock (_pending)
            {
                _pending.Remove(id);
            }

            pending.Finish();
        }
    }

    private static TimeoutException TimedOut(RequestOptions options) =>
        new($"No reply within {options.Timeout.TotalMilliseconds:0.###} ms.");

    // Every message that arrives is a reply (or is discarded): the receive queue is never used.
    private bool OnArrival(Message message)
    {
        if (!IdHeader.TryStrip(message, out uint id) || !TryDeliver(id, message))
        {
            message.Dispose();
            Interlocked.Increment(ref _discarded);
        }

        return true;
    }

    private bool TryDeliver(uint id, Message reply)
    {
        lock (_pending)
        {
            // The entry stays until its request ends: a second reply (to a resend) finds it and is discarded.
            return _pending.TryGetValue(id, out var pending) && pending.TrySetReply(reply);
        }
    }

    private protected override void OnDisposed()
    {
        lock (_pending)
        {
            foreach (var pending in _pending.Values)
            {
                pending.Abort();
            }
        }
    }
}
