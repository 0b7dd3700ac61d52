using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MultiSocket;

/// <summary>Merges the messages of every pipe into one bounded queue that any number of consumers read.</summary>
internal sealed class AllReceiver : Receiver
{
    private readonly Channel<Message> _queue;
    private readonly object _owner;

    public AllReceiver(int capacity, object owner)
    {
        _owner = owner;
        _queue = Channel.CreateBounded<Message>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public override ValueTask DeliverAsync(Message message, CancellationToken cancellationToken)
    {
        if (_queue.Writer.TryWrite(message))
        {
            return default;
        }

        return DeliverSlowAsync(message, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DeliverSlowAsync(Message message, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The socket is closing (or the pipe aborted): the message has nowhere to go.
            message.Dispose();
            throw;
        }
    }

    public override ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_queue.Reader.TryRead(out var message))
        {
            return new ValueTask<Message>(message);
        }

        return ReceiveSlowAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Message> ReceiveSlowAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _queue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return Throw.Disposed<Message>(_owner);
        }
    }

    public override bool TryReceive(out Message? message) => _queue.Reader.TryRead(out message);

    public override IAsyncEnumerable<Message> ReceiveAllAsync(CancellationToken cancellationToken) =>
        _queue.Reader.ReadAllAsync(cancellationToken);

    public override void Complete() => _queue.Writer.TryComplete();
}
