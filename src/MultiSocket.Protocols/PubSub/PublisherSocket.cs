using System.Buffers;
using MultiSocket.Internal;

namespace MultiSocket.Protocols;

/// <summary>
/// The publishing side of publish/subscribe. Subscribers tell the publisher their prefixes (control messages), so
/// <see cref="PublishAsync"/> sends a message only to the pipes whose subscriptions match it: unmatched messages
/// never cross the network.
/// </summary>
/// <remarks>
/// <para>
/// Publishing never waits: a subscriber whose send queue is full (a slow reader) misses that message alone, and the
/// drop is counted in <see cref="Dropped"/> and <see cref="SocketStatistics.Dropped"/>. Other subscribers and the
/// publisher carry on at full speed.
/// </para>
/// <para>
/// A message that every subscriber over tcp, ipc or ws wants (a fan-out to all) is encoded once into a log that those
/// subscribers' pipes copy from, rather than queued to each: the publisher's cost per message then hardly grows with
/// the number of subscribers. A subscriber that falls so far behind that the log is overwritten before its pipe copies
/// it misses the overwritten messages, as it would miss them with a full queue. The log always holds at least a send
/// queue's worth (<see cref="SocketOptions.SendQueueSize"/>) of the messages it takes; larger ones (frames over 768
/// bytes with the default queue of 256, over 3 KiB with a queue of 64) are queued per subscriber. Messages only some
/// subscribers want, and those to in-process subscribers, are queued to each matching pipe. Every subscriber gets the
/// messages published from one task in the order they were published, whichever way each went.
/// </para>
/// </remarks>
public sealed class PublisherSocket : ProtocolSocket
{
    private readonly object _gate = new();
    private readonly PublishLog _log;
    private volatile Snapshot _snapshot = new([], -1);
    private long _sent;
    private long _dropped;

    /// <summary>Creates a publisher.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving (the publisher receives subscriptions).</exception>
    public PublisherSocket(SocketOptions? options = null)
        : base(RequireDuplex(options, "A publisher sends messages and receives subscriptions"))
    {
        _log = new PublishLog(Socket.Options.SendQueueSize);

        // The socket's one log: its best-effort sends to all (Socket.SendAllAsync) use it too, so a message queued to
        // several pipes never carries a mark of another log.
        Socket.UsePublishLog(_log);
        Socket.PipeRemoved += OnPipeRemoved;
        StartLoop(ReceiveSubscriptionsAsync);
    }

    /// <summary>
    /// Messages handed to subscribers (one per subscriber a message went to): queued to its pipe, or logged for its pipe
    /// to copy. A logged message the pipe later loses, having fallen a whole log behind, moves from here to
    /// <see cref="Dropped"/> when the loss is found, so <c>Sent + Dropped</c> counts every message a subscriber matched.
    /// </summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Messages not sent to a subscriber because its send queue was full, or lost from the log (see <see cref="Sent"/>).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Connected subscribers with at least one subscription.</summary>
    public int SubscriberCount
    {
        get
        {
            int count = 0;
            foreach (var subscriber in _snapshot.Subscribers)
            {
                count += subscriber.Prefixes.Length > 0 ? 1 : 0;
            }

            return count;
        }
    }

    /// <summary>Subscribers whose pipes copy the publisher's log (for tests).</summary>
    internal int LogReaderCount => _snapshot.Readers;

    /// <summary>Messages appended to the publisher's log (for tests).</summary>
    internal long LoggedCount => _log.Frames;

    /// <summary>Every connected subscriber's prefixes, as this publisher knows them now (for tests).</summary>
    internal byte[][] KnownPrefixes => [.. _snapshot.Subscribers.SelectMany(s => s.Prefixes)];

    /// <summary>Subscriptions known from all connected subscribers (each subscriber's prefixes counted once).</summary>
    public int SubscriptionCount
    {
        get
        {
            int count = 0;
            foreach (var subscriber in _snapshot.Subscribers)
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
    /// The content is copied once into a pooled buffer shared by all the pipes it goes to, or, when every subscriber that
    /// reads the publisher's log wants it, encoded once into the log (see the class remarks). A subscriber whose queue
    /// was found full misses the next few messages without its queue being tried (the queue's write loop drains it
    /// whole, so the skipped tries would have found little room), as the core socket's best-effort send to all does.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token is already cancelled.</exception>
    public ValueTask PublishAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var span = content.Span;
        var snapshot = _snapshot;
        var subscribers = snapshot.Subscribers;

        // Decided once per subscriber (its prefixes may change meanwhile): the references taken below count on it.
        bool[]? rented = null;
        Span<bool> matches = subscribers.Length <= 256
            ? stackalloc bool[subscribers.Length]
            : (rented = ArrayPool<bool>.Shared.Rent(subscribers.Length)).AsSpan(0, subscribers.Length);
        try
        {
            return Publish(span, snapshot, matches);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<bool>.Shared.Return(rented);
            }
        }
    }

    private ValueTask Publish(ReadOnlySpan<byte> span, Snapshot snapshot, Span<bool> matches)
    {
        var subscribers = snapshot.Subscribers;
        int matching = 0;
        int readersMatching = 0;
        for (int i = 0; i < subscribers.Length; i++)
        {
            matches[i] = SubscriptionControl.Matches(subscribers[i].Prefixes, span);
            matching += matches[i] ? 1 : 0;
            readersMatching += matches[i] && subscribers[i].ReadsLog ? 1 : 0;
        }

        if (matching == 0)
        {
            return default;
        }

        var message = Message.Create(span, SendType.ToAll, Socket.Options.SendTtl);

        // Logged only for the readers of this snapshot (the log refuses if one was added since), and only when each of
        // them wants it: the log's frames go to every reader.
        bool logged = readersMatching > 0 && readersMatching == snapshot.Readers
            && _log.TryAppend(message, snapshot.LogVersion, withinQueue: true);

        // A reference for every queue, taken in one step; those not used are released in one step below (one per pipe
        // moved the count's cache line to the write loops' core and back for every pipe).
        int queues = logged ? matching - readersMatching : matching;
        message.AddRefs(queues);
        int sent = 0;
        int dropped = 0;
        bool marked = false;   // one log mark for every queue (Pipe.TryEnqueue(Message, ref bool))
        for (int i = 0; i < subscribers.Length; i++)
        {
            if (!matches[i])
            {
                continue;
            }

            var subscriber = subscribers[i];
            if (logged && subscriber.ReadsLog)
            {
                // Counted from the log's frame numbers when asked (GetPipeCounters): nothing written per reader here.
                sent++;
            }
            else if (subscriber.Pipe.TryEnqueueBestEffort(message, ref marked))
            {
                Interlocked.Increment(ref subscriber.Queued);
                sent++;
            }
            else
            {
                Interlocked.Increment(ref subscriber.Dropped);
                dropped++;
            }
        }

        // The caller's reference and those of the queues that did not take it.
        message.Release(1 + queues - (logged ? sent - readersMatching : sent));
        Interlocked.Add(ref _sent, sent);
        if (dropped > 0)
        {
            Interlocked.Add(ref _dropped, dropped);
            Socket.Statistics.OnDropped(dropped);
        }

        return default;
    }

    /// <summary>Messages sent to and dropped for the subscriber on pipe <paramref name="pipeId"/>; zeros if unknown.</summary>
    /// <remarks>
    /// A subscriber whose pipe reads the publisher's log counts every message logged while it read it, which includes
    /// best-effort sends to all made on <see cref="ProtocolSocket.Socket"/> directly (not counted in <see cref="Sent"/>).
    /// </remarks>
    public (long Sent, long Dropped) GetPipeCounters(uint pipeId)
    {
        foreach (var subscriber in _snapshot.Subscribers)
        {
            if (subscriber.PipeId == pipeId)
            {
                return subscriber.Counters;
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
            var subscribers = _snapshot.Subscribers;
            int at = Array.FindIndex(subscribers, s => s.PipeId == pipeId);
            if (at < 0)
            {
                if (op != SubscriptionControl.Subscribe || !Socket.TryGetPipe(pipeId, out var pipe))
                {
                    return;
                }

                // A framed byte-stream pipe reads the log from its first subscription until it closes, and is in no
                // snapshot before: every frame logged for it was one it matched, counted in Sent.
                var subscriber = new Subscriber(this, pipe) { Prefixes = [prefix.ToArray()] };
                if (pipe.TryAttachLog(_log, subscriber.OnLogDropped))
                {
                    subscriber.Reader = pipe.LogReader;
                }

                SetSubscribers([.. subscribers, subscriber]);
                return;
            }

            // A reader whose prefixes change stays a reader: once it unsubscribes from everything, messages stop going
            // through the log (it would get them all) and are queued to the pipes that want them.
            var existing = subscribers[at];
            existing.Prefixes = op switch
            {
                SubscriptionControl.Subscribe => SubscriptionControl.With(existing.Prefixes, prefix),
                SubscriptionControl.Unsubscribe => SubscriptionControl.Without(existing.Prefixes, prefix),
                _ => existing.Prefixes,
            };
        }
    }

    private void OnPipeRemoved(object? sender, PipeEventArgs e)
    {
        lock (_gate)
        {
            SetSubscribers(Array.FindAll(_snapshot.Subscribers, s => s.PipeId != e.PipeId));
        }
    }

    // Under the gate, where readers are added: the log's version now covers exactly the readers in the list.
    private void SetSubscribers(Subscriber[] subscribers) =>
        _snapshot = new Snapshot(subscribers, _log.ReadersVersion);

    /// <summary>The subscribers as a publish sees them, with the log's readers version they were taken at.</summary>
    private sealed class Snapshot(Subscriber[] subscribers, long logVersion)
    {
        public Subscriber[] Subscribers { get; } = subscribers;

        public long LogVersion { get; } = logVersion;

        /// <summary>How many of the subscribers read the log.</summary>
        public int Readers { get; } = subscribers.Count(s => s.ReadsLog);
    }

    // Holds its pipe: publishing looks up no table. A pipe that closes leaves the list (OnPipeRemoved); a publish that
    // still has it in its snapshot finds its queue closed and counts a drop (or logs a frame its pipe will not copy).
    private sealed class Subscriber(PublisherSocket publisher, Pipe pipe)
    {
        public long Queued;
        public long Dropped;
        private long _lost;
        private volatile byte[][] _prefixes = [];

        public Pipe Pipe { get; } = pipe;

        public uint PipeId => Pipe.Id;

        /// <summary>The pipe's reader of the publisher's log, if it has one; set before the subscriber is in any snapshot.</summary>
        public PublishLog.Reader? Reader { get; set; }

        /// <summary>True when the pipe copies the publisher's log.</summary>
        public bool ReadsLog => Reader is not null;

        /// <summary>
        /// Sent: queued, plus every frame logged while the pipe read the log (each one it matched), less those it lost;
        /// dropped: full queue, plus lost.
        /// </summary>
        public (long Sent, long Dropped) Counters
        {
            get
            {
                long lost = Interlocked.Read(ref _lost);
                long logged = Reader?.FramesLogged ?? 0;
                return (Interlocked.Read(ref Queued) + logged - lost, Interlocked.Read(ref Dropped) + lost);
            }
        }

        public byte[][] Prefixes
        {
            get => _prefixes;
            set => _prefixes = value;
        }

        // Logged frames the pipe lost (overwritten before it copied them): counted as sent when logged, dropped now.
        public void OnLogDropped(long count)
        {
            Interlocked.Add(ref _lost, count);
            Interlocked.Add(ref publisher._dropped, count);
            Interlocked.Add(ref publisher._sent, -count);
            publisher.Socket.Statistics.OnDropped(count);
        }
    }
}
