namespace MultiSocket.Protocols;

/// <summary>
/// The publishing side of publish/subscribe. Subscribers tell the publisher their prefixes (control messages), so
/// <see cref="PublishAsync"/> sends a message only to the pipes whose subscriptions match it: unmatched messages
/// never cross the network.
/// </summary>
/// <remarks>
/// Publishing never waits: a subscriber whose send queue is full (a slow reader) misses that message alone, and the
/// drop is counted in <see cref="Dropped"/> and <see cref="SocketStatistics.Dropped"/>. Other subscribers and the
/// publisher carry on at full speed.
/// </remarks>
public sealed class PublisherSocket : ProtocolSocket
{
    private readonly object _gate = new();
    private volatile Subscriber[] _subscribers = [];
    private long _sent;
    private long _dropped;

    /// <summary>Creates a publisher.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving (the publisher receives subscriptions).</exception>
    public PublisherSocket(SocketOptions? options = null)
        : base(RequireDuplex(options, "A publisher sends messages and receives subscriptions"))
    {
        Socket.PipeRemoved += OnPipeRemoved;
        StartLoop(ReceiveSubscriptionsAsync);
    }

    /// <summary>Messages queued to subscribers (one per subscriber a message went to).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Messages not sent to a subscriber because its send queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Connected subscribers with at least one subscription.</summary>
    public int SubscriberCount
    {
        get
        {
            int count = 0;
            foreach (var subscriber in _subscribers)
            {
                count += subscriber.Prefixes.Length > 0 ? 1 : 0;
            }

            return count;
        }
    }

    /// <summary>Subscriptions known from all connected subscribers (each subscriber's prefixes counted once).</summary>
    public int SubscriptionCount
    {
        get
        {
            int count = 0;
            foreach (var subscriber in _subscribers)
            {
                count += subscriber.Prefixes.Length;
            }

            return count;
        }
    }

    /// <summary>
    /// Sends <paramref name="content"/> to every subscriber with a matching prefix. Never waits: a subscriber with a
    /// full queue misses the message (counted in <see cref="Dropped"/>). With no matching subscriber the message goes
    /// nowhere.
    /// </summary>
    /// <remarks>
    /// The content is copied once into a pooled buffer shared by all the pipes it goes to. A subscriber whose queue was
    /// found full misses the next few messages without its queue being tried (the queue's write loop drains it whole,
    /// so the skipped tries would have found little room), as the core socket's best-effort send to all does.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token is already cancelled.</exception>
    public ValueTask PublishAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var span = content.Span;
        var subscribers = _subscribers;
        Message? message = null;
        int sent = 0;
        int dropped = 0;
        foreach (var subscriber in subscribers)
        {
            if (!SubscriptionControl.Matches(subscriber.Prefixes, span))
            {
                continue;
            }

            if (message is null)
            {
                // A reference for every subscriber, taken in one step; those not used are released in one step below
                // (one per pipe moved the count's cache line to the write loops' core and back for every pipe).
                message = Message.Create(span, SendType.ToAll, Socket.Options.SendTtl);
                message.AddRefs(subscribers.Length);
            }

            if (subscriber.Pipe.TryEnqueueBestEffort(message))
            {
                Interlocked.Increment(ref subscriber.Sent);
                sent++;
            }
            else
            {
                Interlocked.Increment(ref subscriber.Dropped);
                dropped++;
            }
        }

        if (message is not null)
        {
            // The caller's reference and the subscribers' that were not used.
            message.Release(1 + subscribers.Length - sent);
            Interlocked.Add(ref _sent, sent);
            if (dropped > 0)
            {
                Interlocked.Add(ref _dropped, dropped);
                Socket.Statistics.OnDropped(dropped);
            }
        }

        return default;
    }

    /// <summary>Messages sent to and dropped for the subscriber on pipe <paramref name="pipeId"/>; zeros if unknown.</summary>
    public (long Sent, long Dropped) GetPipeCounters(uint pipeId)
    {
        foreach (var subscriber in _subscribers)
        {
            if (subscriber.PipeId == pipeId)
            {
                return (Interlocked.Read(ref subscriber.Sent), Interlocked.Read(ref subscriber.Dropped));
            }
        }

        return (0, 0);
    }

    private async Task ReceiveSubscriptionsAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var message in Socket.ReceiveAllAsync(stopping).ConfigureAwait(false))
            {
                using (message)
                {
                    // Only control messages from a direct peer mean something here; anything else is ignored.
                    if (SubscriptionControl.IsControl(message) && message.Length >= 1 && message.Hops == 1)
                    {
                        Apply(message.PipeId, message.Content.Span[0], message.Content.Span[1..]);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Apply(uint pipeId, byte op, ReadOnlySpan<byte> prefix)
    {
        lock (_gate)
        {
            var subscribers = _subscribers;
            int at = Array.FindIndex(subscribers, s => s.PipeId == pipeId);
            if (at < 0)
            {
                if (op != SubscriptionControl.Subscribe || !Socket.TryGetPipe(pipeId, out var pipe))
                {
                    return;
                }

                _subscribers = [.. subscribers, new Subscriber(pipe) { Prefixes = [prefix.ToArray()] }];
                return;
            }

            var subscriber = subscribers[at];
            subscriber.Prefixes = op switch
            {
                SubscriptionControl.Subscribe => SubscriptionControl.With(subscriber.Prefixes, prefix),
                SubscriptionControl.Unsubscribe => SubscriptionControl.Without(subscriber.Prefixes, prefix),
                _ => subscriber.Prefixes,
            };
        }
    }

    private void OnPipeRemoved(object? sender, PipeEventArgs e)
    {
        lock (_gate)
        {
            _subscribers = Array.FindAll(_subscribers, s => s.PipeId != e.PipeId);
        }
    }

    // Holds its pipe: publishing looks up no table. A pipe that closes leaves the list (OnPipeRemoved); a publish that
    // still has it in its snapshot finds its queue closed and counts a drop.
    private sealed class Subscriber(Pipe pipe)
    {
        public long Sent;
        public long Dropped;
        private volatile byte[][] _prefixes = [];

        public Pipe Pipe { get; } = pipe;

        public uint PipeId => Pipe.Id;

        public byte[][] Prefixes
        {
            get => _prefixes;
            set => _prefixes = value;
        }
    }
}
