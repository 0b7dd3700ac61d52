namespace MultiSocket.Protocols;

/// <summary>
/// Base of every pattern socket: owns one <see cref="MultiSocket.Socket"/> configured for the pattern, forwards
/// dialing and listening to it, and disposes it (and the pattern's background loops) in <see cref="DisposeAsync"/>.
/// </summary>
/// <remarks>
/// The underlying <see cref="Socket"/> is exposed for what the pattern does not cover: a <see cref="Switch"/>,
/// <see cref="Socket.Statistics"/>, the <see cref="Socket.PipeAdded"/> and <see cref="Socket.PipeRemoved"/> events.
/// Sending or receiving on it directly bypasses the pattern's framing.
/// </remarks>
public abstract class ProtocolSocket : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private readonly List<Task> _loops = [];
    private Task? _disposal;

    /// <summary>Creates the underlying socket with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    private protected ProtocolSocket(SocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Socket = new Socket(options);
    }

    /// <summary>The underlying socket: for switches, statistics and pipe events.</summary>
    public Socket Socket { get; }

    /// <summary>True once <see cref="DisposeAsync"/> has begun.</summary>
    public bool IsDisposed => _disposal is not null;

    /// <summary>Cancelled when disposal begins: background loops and waits end on it.</summary>
    private protected CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Connects to a listener at <paramref name="address"/> (<c>tcp://127.0.0.1:5555</c>, <c>inproc://name</c>, …);
    /// the dialer reconnects when the connection drops. See <see cref="Socket.DialAsync"/>.
    /// </summary>
    /// <returns>The dialer; dispose it to stop reconnecting and close its pipe.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="FormatException">The address is malformed.</exception>
    /// <exception cref="NotSupportedException">No transport serves the address's scheme.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Task<Dialer> DialAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        return Socket.DialAsync(address, cancellationToken);
    }

    /// <summary>
    /// Binds <paramref name="address"/> and accepts connections until disposed. Port 0 picks a free port: read it from
    /// <see cref="Listener.BoundAddress"/>. See <see cref="Socket.ListenAsync"/>.
    /// </summary>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="FormatException">The address is malformed.</exception>
    /// <exception cref="NotSupportedException">No transport serves the address's scheme.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Task<Listener> ListenAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfDisposed();
        return Socket.ListenAsync(address, cancellationToken);
    }

    /// <summary>
    /// <paramref name="options"/> (or the defaults) for a pattern that both sends and receives (replies, subscriptions
    /// and surveys travel back): rejects <see cref="SocketOptions.NoSend"/> and <see cref="SocketOptions.NoReceive"/>.
    /// </summary>
    /// <param name="options">The caller's options, or null.</param>
    /// <param name="why">The start of the error message, e.g. "A bus socket both sends and receives".</param>
    /// <exception cref="ArgumentException">An option turns sending or receiving off.</exception>
    private protected static SocketOptions RequireDuplex(SocketOptions? options, string why)
    {
        options ??= SocketOptions.Default;
        if (options.NoSend || options.NoReceive)
        {
            throw new ArgumentException($"{why}: NoSend and NoReceive must be false.", nameof(options));
        }

        return options;
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once disposal has begun.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Starts a background loop that disposal waits for.</summary>
    private protected void StartLoop(Func<CancellationToken, Task> loop)
    {
        var task = Task.Run(() => loop(_stopping.Token));
        lock (_gate)
        {
            _loops.Add(task);
        }
    }

    /// <summary>
    /// Runs after the underlying socket is disposed and the background loops have ended: fail what is still pending.
    /// </summary>
    private protected virtual void OnDisposed()
    {
    }

    /// <summary>
    /// Closes the socket: stops dialing and listening, lets queued sends drain for up to
    /// <see cref="SocketOptions.Linger"/>, closes every pipe, ends receives and background loops. Safe to call more
    /// than once.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposal ??= DisposeCoreAsync();
        }

        GC.SuppressFinalize(this);
        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync()
    {
        await Socket.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _loops];
        }

        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Loops end by cancellation or by the socket's disposal; neither is an error of disposal.
        }

        OnDisposed();
        _stopping.Dispose();
    }
}
