namespace MultiSocket;

public sealed partial class Socket
{
    /// <summary>
    /// Sends <paramref name="content"/> to one connected peer, chosen fairly (round robin over the pipes with room in
    /// their queue). Completes once the message is queued; waits while every queue is full (or drops and counts the
    /// message when <see cref="SocketOptions.BestEffort"/>) and while no peer is connected.
    /// </summary>
    /// <remarks>The content is copied into a pooled buffer: the caller may reuse its memory once this returns.</remarks>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoSend"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        SendNewAsync(SendType.ToOne, default, content.Span, cancellationToken);

    /// <summary>
    /// Sends each of <paramref name="contents"/> as its own message to a connected peer, in order, as
    /// <see cref="SendAsync"/> called once per content by one task would. Completes once the last one is queued; waits
    /// as <see cref="SendAsync"/> does (and with <see cref="SocketOptions.BestEffort"/> drops what finds no room).
    /// </summary>
    /// <remarks>
    /// <para>
    /// For in-process peers this is the fast way to send many small messages: a run of them (up to 32 KiB of frames,
    /// each content up to 4 KiB less 8 bytes) goes to the peer's receive queue as one entry, and its consumer decodes
    /// them one per receive, on its own thread. One hand-off between threads then carries many messages instead of one
    /// (inproc 64 B: ~8–9 M msg/s in batches of 32 against ~4 M one by one on a slow 2-core VM; docs/performance.md,
    /// round 14). The messages are encoded and decoded on the way, which costs more than handing over message objects
    /// when sender and consumer share a thread (~110 against ~83 ns per message). Over byte streams it costs what the
    /// same sends one by one cost: their write loop already batches.
    /// </para>
    /// <para>
    /// A run goes to one pipe, so with several peers the messages of one call may be spread less evenly than single
    /// sends would spread them. The contents are copied before this returns or, when it has to wait, before each one is
    /// queued: keep them unchanged until the returned task completes.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="contents"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoSend"/>.</exception>
    /// <exception cref="OperationCanceledException">
    /// The token was cancelled while waiting; the messages before the one that waited were sent, the rest were not.
    /// </exception>
    public ValueTask SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> contents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ThrowIfDisposed();
        if (_batchSender is null)
        {
            Throw.NoSend();
        }

        return _batchSender.SendBatchAsync(contents, Options.SendTtl, cancellationToken);
    }

    /// <summary>Sends <paramref name="content"/> to every connected peer.</summary>
    /// <remarks>
    /// With <see cref="SocketOptions.BestEffort"/> this never waits; over byte streams the message is encoded once
    /// into the socket's publish log, which every such pipe copies from (see <see cref="SocketOptions.BestEffort"/>).
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoSend"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for room.</exception>
    public ValueTask SendAllAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        SendNewAsync(SendType.ToAll, default, content.Span, cancellationToken);

    /// <summary>
    /// Sends <paramref name="content"/> along <paramref name="destination"/>: its first id picks the local pipe and the
    /// whole path travels on, so <c>SendToAsync(msg.Source, reply)</c> answers a message through any number of
    /// switches. When that pipe is gone the message is dropped and counted in <see cref="SocketStatistics.Unroutable"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is empty.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoSend"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for room.</exception>
    public ValueTask SendToAsync(MessagePath destination, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (destination.IsEmpty)
        {
            throw new ArgumentException("The destination path is empty; reply with the Source of a received message.", nameof(destination));
        }

        return SendNewAsync(SendType.ToDestination, destination, content.Span, cancellationToken);
    }

    /// <summary>
    /// Sends a message as it stands, by its <see cref="Message.SendType"/>: the way to forward a received message
    /// (its source path and ttl are kept) or to send one built with <see cref="Message.Create(int, SendType)"/> without
    /// a copy. The socket takes ownership of <paramref name="message"/>, also when this throws. A message whose ttl
    /// is 0, or whose source path is full (<see cref="MessagePath.MaxLength"/> ids), is dropped and counted in
    /// <see cref="SocketStatistics.Expired"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket was created with <see cref="SocketOptions.NoSend"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public ValueTask SendMessageAsync(Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_disposed)
        {
            message.Dispose();
            Throw.Disposed(this);
        }

        if (message.Ttl == 0 || message.Hops >= MessagePath.MaxLength)
        {
            // A full source path cannot take the next node's id: that node would reject the frame and close the
            // pipe, losing everything queued behind it. Drop it here, like a spent ttl.
            message.Dispose();
            Statistics.OnExpired();
            return default;
        }

        return message.SendType switch
        {
            SendType.ToOne => _toOne.SendAsync(message, cancellationToken),
            SendType.ToAll => _toAll.SendAsync(message, cancellationToken),
            _ => _toDestination.SendAsync(message, cancellationToken),
        };
    }

    private ValueTask SendNewAsync(SendType sendType, MessagePath destination, ReadOnlySpan<byte> content, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (Options.NoSend)
        {
            Throw.NoSend();
        }

        var message = Message.Create(content, sendType, Options.SendTtl);
        message.Destination = destination;
        return SendMessageAsync(message, cancellationToken);
    }
}
