using System.Collections.Concurrent;
using System.Net.Sockets;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Inproc;

/// <summary>
/// <c>inproc://name</c>: sockets of one process connected in memory. Messages pass across as objects, never encoded:
/// the sending pipe puts each one straight into the receiving socket's receive queue. A name is bound by one listener
/// at a time.
/// </summary>
public sealed class InprocTransport : ITransport
{
    private readonly ConcurrentDictionary<string, InprocListener> _listeners = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Scheme => "inproc";

    /// <inheritdoc />
    public ValueTask<IConnection> DialAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        RejectRaw(address, options);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_listeners.TryGetValue(address.Address, out var listener))
        {
            throw new SocketException((int)SocketError.ConnectionRefused, $"No socket listens on inproc://{address.Address}.");
        }

        // Each link holds what its writer sends before the reading pipe exists, up to the writer's send queue size.
        var toListener = new MessageLink(options.MessageQueueSize);
        var toDialer = new MessageLink(listener.QueueSize);
        string name = $"inproc://{address.Address}";
        var dialerEnd = new InprocConnection(toDialer, toListener, name);
        var listenerEnd = new InprocConnection(toListener, toDialer, name);
        if (!listener.TryEnqueue(listenerEnd))
        {
            throw new SocketException((int)SocketError.ConnectionRefused, $"The listener on inproc://{address.Address} is closing.");
        }

        return new ValueTask<IConnection>(dialerEnd);
    }

    /// <inheritdoc />
    public ValueTask<IListener> ListenAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        RejectRaw(address, options);
        cancellationToken.ThrowIfCancellationRequested();
        var listener = new InprocListener(this, address.Address, options.MessageQueueSize);
        if (!_listeners.TryAdd(address.Address, listener))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"inproc://{address.Address} is already bound.");
        }

        return new ValueTask<IListener>(listener);
    }

    internal void Unbind(InprocListener listener) =>
        _listeners.TryRemove(new KeyValuePair<string, InprocListener>(listener.Name, listener));

    private static void RejectRaw(TransportAddress address, TransportOptions options)
    {
        if (options.Raw)
        {
            throw new ArgumentException(
                $"Address '{address.Original}': inproc carries whole messages, so it has no raw mode; use tcp, ipc or ws for raw pipes.",
                nameof(address));
        }
    }
}
