using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MultiSocket;
using MultiSocket.Protocols;

namespace MultiSocket.Bench;

/// <summary>
/// The patterns on the protocol sockets of MultiSocket.Protocols: <see cref="PushSocket"/> / <see cref="PullSocket"/>,
/// <see cref="RequestSocket"/> / <see cref="ReplySocket"/>, <see cref="PublisherSocket"/> / <see cref="SubscriberSocket"/>
/// (subscribed to everything). Default socket and request options.
/// </summary>
/// <remarks>
/// Pull and subscribe take arrived messages with TryReceive, as the core pattern does; the replier has no TryReceive
/// (its adapter returns false and the workload falls back to ReceiveAsync, which completes synchronously when a
/// request is already queued), and the requester's returns its reply once it is in. <see cref="IBenchSocket.PeerCount"/> is the underlying
/// <see cref="ProtocolSocket.Socket"/>'s pipe count.
/// </remarks>
internal sealed class ProtocolSocketPatterns : IMultiSocketPatterns
{
    public string Description =>
        "protocol sockets (PushSocket / PullSocket, RequestSocket.RequestAsync / ReplySocket.ReceiveRequestAsync + Request.ReplyAsync, " +
        "PublisherSocket.PublishAsync / SubscriberSocket.ReceiveAsync)";

    public IBenchSocket Push() => new PushBench(new PushSocket());

    public IBenchSocket Pull() => new PullBench(new PullSocket());

    public IBenchSocket Request() => new RequestBench(new RequestSocket());

    public IBenchSocket Reply() => new ReplyBench(new ReplySocket());

    // PublishAsync never waits whatever the options: a subscriber with a full queue misses the message (the core
    // pattern's BestEffort = true). The publisher socket's BestEffort option does not apply to PublishAsync.
    public IBenchSocket Publish() => new PublishBench(new PublisherSocket());

    public IBenchSocket Subscribe()
    {
        var socket = new SubscriberSocket();
        socket.Subscribe(ReadOnlySpan<byte>.Empty);
        return new SubscribeBench(socket);
    }

    /// <summary>Listen, dial, peer count and disposal, the same for every protocol socket.</summary>
    private abstract class ProtocolBench<TSocket>(TSocket socket) : IBenchSocket
        where TSocket : ProtocolSocket
    {
        protected TSocket Socket { get; } = socket;

        public int PeerCount => Socket.Socket.PipeCount;

        public async Task<string> ListenAsync(string address) => (await Socket.ListenAsync(address)).BoundAddress;

        public Task DialAsync(string address) => Socket.DialAsync(address);

        public virtual ValueTask SendAsync(ReadOnlyMemory<byte> content) =>
            throw new NotSupportedException($"{typeof(TSocket).Name} does not send.");

        public virtual ValueTask ReplyAsync(Message request, ReadOnlyMemory<byte> content) =>
            throw new NotSupportedException($"{typeof(TSocket).Name} does not reply.");

        public virtual bool TryReceive([NotNullWhen(true)] out Message? message)
        {
            message = null;
            return false;
        }

        public virtual ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken) =>
            throw new NotSupportedException($"{typeof(TSocket).Name} does not receive.");

        public ValueTask DisposeAsync() => Socket.DisposeAsync();
    }

    private sealed class PushBench(PushSocket socket) : ProtocolBench<PushSocket>(socket)
    {
        public override ValueTask SendAsync(ReadOnlyMemory<byte> content) => Socket.SendAsync(content);
    }

    private sealed class PullBench(PullSocket socket) : ProtocolBench<PullSocket>(socket)
    {
        public override bool TryReceive([NotNullWhen(true)] out Message? message) => Socket.TryReceive(out message);

        public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken) => Socket.ReceiveAsync(cancellationToken);
    }

    private sealed class PublishBench(PublisherSocket socket) : ProtocolBench<PublisherSocket>(socket)
    {
        public override ValueTask SendAsync(ReadOnlyMemory<byte> content) => Socket.PublishAsync(content);
    }

    private sealed class SubscribeBench(SubscriberSocket socket) : ProtocolBench<SubscriberSocket>(socket)
    {
        public override bool TryReceive([NotNullWhen(true)] out Message? message) => Socket.TryReceive(out message);

        public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken) => Socket.ReceiveAsync(cancellationToken);
    }

    /// <summary>
    /// SendAsync starts <see cref="RequestSocket.RequestAsync"/> and keeps its (pooled) ValueTask; ReceiveAsync / TryReceive hand
    /// out its reply (owned by the caller). One request in flight at a time, as the workload drives it.
    /// </summary>
    private sealed class RequestBench(RequestSocket socket) : ProtocolBench<RequestSocket>(socket)
    {
        private ValueTask<Message>? _reply;

        public override ValueTask SendAsync(ReadOnlyMemory<byte> content)
        {
            if (_reply is not null)
            {
                throw new InvalidOperationException("The previous request's reply was not received.");
            }

            // RequestAsync copies the content before its first await, so the caller may reuse its buffer at once.
            _reply = Socket.RequestAsync(content);
            return default;
        }

        public override bool TryReceive([NotNullWhen(true)] out Message? message)
        {
            if (_reply is { IsCompletedSuccessfully: true } reply)
            {
                _reply = null;
                message = reply.Result;   // consumes the pooled ValueTask once
                return true;
            }

            message = null;
            return false;
        }

        public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken)
        {
            var reply = _reply ?? throw new InvalidOperationException("No request is waiting for its reply.");
            _reply = null;

            // The request's own limit (RequestOptions.Timeout) already bounds it; a token only adds a wait, and only
            // when it can fire (AsTask and WaitAsync allocate; the workloads pass none).
            return cancellationToken.CanBeCanceled ? new ValueTask<Message>(reply.AsTask().WaitAsync(cancellationToken)) : reply;
        }
    }

    /// <summary>
    /// ReceiveAsync waits for a <see cref="Protocols.Request"/>, keeps it and returns its message; ReplyAsync answers
    /// the kept request. The caller owns (and disposes) the returned message, so the Request itself is never disposed
    /// (Request.Dispose would release the same message a second time). One request at a time, as the workload drives it.
    /// </summary>
    private sealed class ReplyBench(ReplySocket socket) : ProtocolBench<ReplySocket>(socket)
    {
        private Request? _request;

        public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken)
        {
            var pending = Socket.ReceiveRequestAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                return new ValueTask<Message>(Keep(pending.Result));
            }

            return AwaitAsync(pending);
        }

        public override ValueTask ReplyAsync(Message request, ReadOnlyMemory<byte> content)
        {
            var kept = _request;
            if (kept is null || !ReferenceEquals(kept.Message, request))
            {
                throw new InvalidOperationException("Not the request last received.");
            }

            _request = null;

            // The reply's content is copied before ReplyAsync returns: the caller may dispose the request's message then.
            return kept.ReplyAsync(content);
        }

        // Pooled like ReceiveRequestAsync itself: a plain async ValueTask would allocate its box whenever it waits.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<Message> AwaitAsync(ValueTask<Request> pending) => Keep(await pending.ConfigureAwait(false));

        private Message Keep(Request request)
        {
            _request = request;
            return request.Message;
        }
    }
}
