using System.Runtime.CompilerServices;

namespace MultiSocket.Protocols;

/// <summary>
/// Base of the answering sides (<see cref="ReplySocket"/>, <see cref="RespondentSocket"/>): receives messages that
/// start with a 4-byte id and hands them out as <typeparamref name="TInquiry"/>; messages too short for an id are
/// discarded and counted. Any number of tasks may receive at once (each inquiry goes to one of them).
/// </summary>
/// <typeparam name="TInquiry">What an incoming message becomes.</typeparam>
public abstract class AnsweringSocket<TInquiry> : ProtocolSocket
    where TInquiry : Inquiry
{
    private readonly Func<Socket, uint, Message, TInquiry> _create;
    private long _discarded;

    private protected AnsweringSocket(SocketOptions? options, string name, Func<Socket, uint, Message, TInquiry> create)
        : base(RequireDuplex(options, $"A {name} socket both sends and receives"))
    {
        _create = create;
    }

    /// <summary>Messages discarded because they were too short to hold an id.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>Waits for the next inquiry.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private protected async ValueTask<TInquiry> ReceiveOneAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        while (true)
        {
            var message = await Socket.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (TryAccept(message) is { } inquiry)
            {
                return inquiry;
            }
        }
    }

    /// <summary>The inquiries as a stream, ending when the socket is disposed.</summary>
    private protected IAsyncEnumerable<TInquiry> ReceiveEveryAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return ReceiveAllCoreAsync(cancellationToken);
    }

    private async IAsyncEnumerable<TInquiry> ReceiveAllCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in Socket.ReceiveAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (TryAccept(message) is { } inquiry)
            {
                yield return inquiry;
            }
        }
    }

    private TInquiry? TryAccept(Message message)
    {
        if (IdHeader.TryStrip(message, out uint id) && !message.Source.IsEmpty)
        {
            return _create(Socket, id, message);
        }

        message.Dispose();
        Interlocked.Increment(ref _discarded);
        return null;
    }
}
