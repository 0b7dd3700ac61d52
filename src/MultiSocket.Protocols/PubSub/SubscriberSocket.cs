using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace MultiSocket.Protocols;

/// <summary>
/// The subscribing side of publish/subscribe: receives the published messages whose content starts with one of its
/// prefixes. No subscription receives nothing; the empty prefix receives everything.
/// </summary>
/// <remarks>
/// <see cref="Subscribe(ReadOnlySpan{byte})"/> and <see cref="Unsubscribe(ReadOnlySpan{byte})"/> take effect locally at
/// once and are sent to every connected publisher (and to each publisher that connects later) as control messages,
/// so publishers only send what matches. Messages are filtered here too, so a message published before a publisher
/// learnt of an unsubscribe is not delivered.
/// </remarks>
public sealed class SubscriberSocket : ProtocolSocket
{
    private readonly object _gate = new();
    private readonly Channel<ControlOp> _control = Channel.CreateUnbounded<ControlOp>(new UnboundedChannelOptions { SingleReader = true });
    private volatile byte[][] _prefixes = [];
    private long _received;
    private long _filtered;

    /// <summary>Creates a subscriber (the options' <see cref="SocketOptions.BestEffort"/> is forced off: subscriptions must not be dropped).</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending (needed for subscriptions) or receiving.</exception>
    public SubscriberSocket(SocketOptions? options = null)
        : base(Configure(options))
    {
        Socket.PipeAdded += (_, e) => _control.Writer.TryWrite(new ControlOp(0, [], e.PipeId));
        StartLoop(SendControlAsync);
    }

    /// <summary>The current subscriptions (copies).</summary>
    public IReadOnlyList<byte[]> Subscriptions => Array.ConvertAll(_prefixes, p => p.ToArray());

    /// <summary>Published messages that arrived, matching or not.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Messages that arrived but matched no subscription here and were discarded.</summary>
    public long Filtered => Interlocked.Read(ref _filtered);

    /// <summary>Subscribes to messages whose content starts with <paramref name="prefix"/> (empty: all messages).</summary>
    /// <returns>False when already subscribed to that prefix.</returns>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool Subscribe(ReadOnlySpan<byte> prefix) => Change(SubscriptionControl.Subscribe, prefix);

    /// <summary>Subscribes to messages whose content starts with the UTF-8 bytes of <paramref name="prefix"/>.</summary>
    /// <returns>False when already subscribed to that prefix.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool Subscribe(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Subscribe(Encoding.UTF8.GetBytes(prefix));
    }

    /// <summary>Removes the subscription to <paramref name="prefix"/>.</summary>
    /// <returns>False when there was no such subscription.</returns>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool Unsubscribe(ReadOnlySpan<byte> prefix) => Change(SubscriptionControl.Unsubscribe, prefix);

    /// <summary>Removes the subscription to the UTF-8 bytes of <paramref name="prefix"/>.</summary>
    /// <returns>False when there was no such subscription.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool Unsubscribe(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Unsubscribe(Encoding.UTF8.GetBytes(prefix));
    }

    /// <summary>Waits for the next message matching a subscription. The caller owns (and disposes) it.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        while (true)
        {
            var message = await Socket.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (Accept(message))
            {
                return message;
            }
        }
    }

    /// <summary>
    /// Takes a matching message that has already arrived, without waiting (messages that match no subscription are
    /// discarded on the way). The caller owns (and disposes) it.
    /// </summary>
    /// <returns>False when no matching message is waiting.</returns>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool TryReceive([NotNullWhen(true)] out Message? message)
    {
        ThrowIfDisposed();
        while (Socket.TryReceive(out message))
        {
            if (Accept(message))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The matching messages as a stream; ends when the socket is disposed. Several consumers may enumerate at once;
    /// each message goes to one. The caller disposes each message.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ReceiveAllCoreAsync(cancellationToken);
    }

    private async IAsyncEnumerable<Message> ReceiveAllCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in Socket.ReceiveAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Accept(message))
            {
                yield return message;
            }
        }
    }

    private bool Accept(Message message)
    {
        if (SubscriptionControl.IsControl(message))
        {
            message.Dispose();
            return false;
        }

        Interlocked.Increment(ref _received);
        if (SubscriptionControl.Matches(_prefixes, message.Content.Span))
        {
            return true;
        }

        Interlocked.Increment(ref _filtered);
        message.Dispose();
        return false;
    }

    private bool Change(byte op, ReadOnlySpan<byte> prefix)
    {
        ThrowIfDisposed();
        lock (_gate)
        {
            var before = _prefixes;
            var after = op == SubscriptionControl.Subscribe
                ? SubscriptionControl.With(before, prefix)
                : SubscriptionControl.Without(before, prefix);
            if (ReferenceEquals(before, after))
            {
                return false;
            }

            _prefixes = after;

            // Queued under the lock so the publishers see the changes in the order they were made.
            _control.Writer.TryWrite(new ControlOp(op, prefix.ToArray(), 0));
            return true;
        }
    }

    /// <summary>
    /// Sends subscription changes to all publishers and the full set to each new one, in the order they happened. Its
    /// own view of the set is applied in that same order, so every publisher ends with the subscriber's set.
    /// </summary>
    private async Task SendControlAsync(CancellationToken stopping)
    {
        byte[][] view = [];
        byte ttl = Socket.Options.SendTtl;
        try
        {
            await foreach (var op in _control.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                if (op.PipeId != 0)
                {
                    var to = new MessagePath(op.PipeId);
                    foreach (var prefix in view)
                    {
                        var sync = SubscriptionControl.Create(SubscriptionControl.Subscribe, prefix, SendType.ToDestination, ttl, to);
                        await Socket.SendMessageAsync(sync, stopping).ConfigureAwait(false);
                    }

                    continue;
                }

                view = op.Op == SubscriptionControl.Subscribe
                    ? SubscriptionControl.With(view, op.Prefix)
                    : SubscriptionControl.Without(view, op.Prefix);
                var change = SubscriptionControl.Create(op.Op, op.Prefix, SendType.ToAll, ttl);
                await Socket.SendMessageAsync(change, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private protected override void OnDisposed() => _control.Writer.TryComplete();

    private static SocketOptions Configure(SocketOptions? options)
    {
        options = RequireDuplex(options, "A subscriber receives messages and sends subscriptions");

        // A dropped control message would leave a publisher with the wrong subscriptions: always wait for room.
        return options with { BestEffort = false };
    }

    /// <summary>A subscription change (<see cref="PipeId"/> 0) or a new pipe to send the whole set to.</summary>
    private readonly record struct ControlOp(byte Op, byte[] Prefix, uint PipeId);
}
