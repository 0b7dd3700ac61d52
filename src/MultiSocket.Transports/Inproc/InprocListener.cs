using System.Threading.Channels;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Inproc;

/// <summary>A bound inproc name; dialers' connections wait here until accepted.</summary>
internal sealed class InprocListener(InprocTransport transport, string name, int queueSize) : IListener
{
    private readonly Channel<InprocConnection> _pending = Channel.CreateUnbounded<InprocConnection>();

    public string Name => name;

    /// <summary>Capacity of the queue from the listening socket to each dialer (its send queue size).</summary>
    public int QueueSize => queueSize;

    public string BoundAddress => $"inproc://{name}";

    public bool TryEnqueue(InprocConnection connection) => _pending.Writer.TryWrite(connection);

    public async ValueTask<IConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(BoundAddress, "The listener was closed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        transport.Unbind(this);
        _pending.Writer.TryComplete();
        while (_pending.Reader.TryRead(out var connection))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
