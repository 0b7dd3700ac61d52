using System.Collections.Concurrent;

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
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<Message>> _pending = new();
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
        StartLoop(ReceiveRepliesAsync);
    }

    /// <summary>The timeout and resend settings.</summary>
    public RequestOptions RequestOptions { get; }

    /// <summary>Requests waiting for their reply now.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Replies discarded because no request waited for them (late, duplicate or malformed).</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>
    /// Sends <paramref name="content"/> to one peer and waits for its reply. The caller owns the returned message
    /// (its content without the request id) and must dispose it.
    /// </summary>
    /// <remarks>
    /// Waits for a peer when none is connected. With <see cref="RequestOptions.ResendInterval"/> set, the request is
    /// sent again each interval until a reply arrives. The content is copied: the caller may reuse its memory at once.
    /// </remarks>
    /// <exception cref="TimeoutException">No reply arrived within <see cref="RequestOptions.Timeout"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    public async Task<Message> RequestAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        uint id;
        do
        {
            id = IdHeader.Next(ref _nextId);
        }
        while (!_pending.TryAdd(id, pending));

        var options = RequestOptions;
        Message? request = IdHeader.Create(id, content.Span, SendType.ToOne, Socket.Options.SendTtl);
        Message? reply = null;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Stopping);
        if (options.Timeout != Timeout.InfiniteTimeSpan)
        {
            limit.CancelAfter(options.Timeout);
        }

        try
        {
            if (options.ResendInterval is not { } resend)
            {
                var once = request;
                request = null;
                await Socket.SendMessageAsync(once, limit.Token).ConfigureAwait(false);
                reply = await pending.Task.WaitAsync(limit.Token).ConfigureAwait(false);
                return reply;
            }

            while (true)
            {
                await Socket.SendMessageAsync(request.Clone(), limit.Token).ConfigureAwait(false);
                try
                {
                    reply = await pending.Task.WaitAsync(resend, limit.Token).ConfigureAwait(false);
                    return reply;
                }
                catch (TimeoutException)
                {
                    // No reply within the resend interval: send again.
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfDisposed();
            throw new TimeoutException($"No reply within {options.Timeout.TotalMilliseconds:0.###} ms.");
        }
        finally
        {
            request?.Dispose();
            _pending.TryRemove(new KeyValuePair<uint, TaskCompletionSource<Message>>(id, pending));

            // A reply that raced with the timeout or cancellation has nobody to take it.
            if (reply is null && !pending.TrySetCanceled() && pending.Task.IsCompletedSuccessfully)
            {
                pending.Task.Result.Dispose();
            }
        }
    }

    private async Task ReceiveRepliesAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var message in Socket.ReceiveAllAsync(stopping).ConfigureAwait(false))
            {
                if (IdHeader.TryStrip(message, out uint id) && _pending.TryRemove(id, out var pending) && pending.TrySetResult(message))
                {
                    continue;
                }

                message.Dispose();
                Interlocked.Increment(ref _discarded);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private protected override void OnDisposed()
    {
        foreach (var entry in _pending)
        {
            entry.Value.TrySetException(new ObjectDisposedException(GetType().FullName, "The socket was disposed while the request waited."));
        }
    }
}
