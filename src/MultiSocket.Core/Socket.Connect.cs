using MultiSocket.Transport;

namespace MultiSocket;

public sealed partial class Socket
{
    /// <summary>
    /// Connects to a listener at <paramref name="address"/> (<c>tcp://127.0.0.1:5555</c>, <c>inproc://name</c>, …) and
    /// adds the connection as a pipe. When the pipe closes, the dialer reconnects with exponential backoff
    /// (<see cref="SocketOptions.Reconnect"/>) until it or the socket is disposed.
    /// </summary>
    /// <returns>The dialer; dispose it to stop reconnecting and close its pipe.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="FormatException">The address is malformed.</exception>
    /// <exception cref="ArgumentException">
    /// The address has an unknown option, an invalid option value, or a fragment that names the other connect type.
    /// </exception>
    /// <exception cref="NotSupportedException">No transport serves the address's scheme.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket is at its pipe limit.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The first connection attempt failed (for example, refused).</exception>
    public async Task<Dialer> DialAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        var (parsed, settings, transport) = Resolve(address, TransportAddress.Dial, cancellationToken);
        var dialer = new Dialer(this, parsed, settings, transport);
        lock (_gate)
        {
            ThrowIfDisposed();
            _dialers.Add(dialer);
        }

        try
        {
            await dialer.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Forget(dialer);
            throw;
        }

        return dialer;
    }

    /// <summary>
    /// Binds a listener at <paramref name="address"/> and accepts connections as pipes until the listener or the
    /// socket is disposed. Port 0 picks a free port: read it from <see cref="Listener.BoundAddress"/>.
    /// </summary>
    /// <returns>The listener; dispose it to stop accepting (pipes already accepted stay open).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="FormatException">The address is malformed.</exception>
    /// <exception cref="ArgumentException">
    /// The address has an unknown option, an invalid option value, or a fragment that names the other connect type.
    /// </exception>
    /// <exception cref="NotSupportedException">No transport serves the address's scheme.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound (for example, in use).</exception>
    public async Task<Listener> ListenAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        var (parsed, settings, transport) = Resolve(address, TransportAddress.Listen, cancellationToken);
        var bound = await transport.ListenAsync(parsed, settings.Transport, cancellationToken).ConfigureAwait(false);
        var listener = new Listener(this, parsed, settings, bound);
        lock (_gate)
        {
            if (_disposed)
            {
                _ = bound.DisposeAsync();
                Throw.Disposed(this);
            }

            _listeners.Add(listener);
        }

        listener.Start();
        return listener;
    }

    /// <summary>
    /// Dials or listens as the address's fragment says, as the Go library's addresses do:
    /// <c>tcp://127.0.0.1:30001#listen</c>, <c>ipc:///tmp/app.sock?Raw=true#dial</c>.
    /// </summary>
    /// <returns>The <see cref="Dialer"/> or <see cref="Listener"/> made; dispose it to undo.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException">The address has no <c>#dial</c> or <c>#listen</c> fragment, or a bad option.</exception>
    /// <exception cref="FormatException">The address is malformed.</exception>
    /// <exception cref="NotSupportedException">No transport serves the address's scheme.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The connection or the bind failed.</exception>
    public async Task<IAsyncDisposable> ConnectAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var parsed = TransportAddress.Parse(address);
        return parsed.ConnectType switch
        {
            TransportAddress.Dial => await DialAsync(address, cancellationToken).ConfigureAwait(false),
            TransportAddress.Listen => await ListenAsync(address, cancellationToken).ConfigureAwait(false),
            null => throw new ArgumentException(
                $"Address '{address}' has no connect type: end it with #dial or #listen, or call DialAsync or ListenAsync.", nameof(address)),
            _ => throw BadConnectType(parsed),
        };
    }

    private (TransportAddress Address, EndpointSettings Settings, ITransport Transport) Resolve(string address, string connectType, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var parsed = TransportAddress.Parse(address);
        if (parsed.ConnectType is { } given && given != connectType)
        {
            throw given is TransportAddress.Dial or TransportAddress.Listen
                ? new ArgumentException($"Address '{address}' says #{given}; use {(given == TransportAddress.Dial ? "DialAsync" : "ListenAsync")} or ConnectAsync.", nameof(address))
                : BadConnectType(parsed);
        }

        var settings = EndpointSettings.Resolve(Options, parsed);
        return (parsed, settings, TransportRegistry.Get(parsed.Scheme));
    }

    private static ArgumentException BadConnectType(TransportAddress address) =>
        new($"Address '{address.Original}' has connect type '#{address.ConnectType}'; expected #dial or #listen.", "address");
}
