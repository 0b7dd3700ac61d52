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
    /// <exception cref="NotSupportedException">No transport serves the address's scheme.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">The socket is at its pipe limit.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The first connection attempt failed (for example, refused).</exception>
    public async Task<Dialer> DialAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        var parsed = TransportAddress.Parse(address);
        var transport = TransportRegistry.Get(parsed.Scheme);
        var dialer = new Dialer(this, parsed, transport);
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
    /// <exception cref="NotSupportedException">No transport serves the address's scheme.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound (for example, in use).</exception>
    public async Task<Listener> ListenAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        var parsed = TransportAddress.Parse(address);
        var transport = TransportRegistry.Get(parsed.Scheme);
        var bound = await transport.ListenAsync(parsed, Options.Transport, cancellationToken).ConfigureAwait(false);
        var listener = new Listener(this, parsed, bound);
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
}
