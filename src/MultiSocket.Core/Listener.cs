using MultiSocket.Internal;
using MultiSocket.Transport;

namespace MultiSocket;

/// <summary>
/// A bound address of a socket and the loop that accepts connections on it. At the socket's pipe limit a new
/// connection is refused: accepted and closed at once, and counted in <see cref="SocketStatistics.PipesRefused"/>.
/// </summary>
public sealed class Listener : IAsyncDisposable
{
    // Pause after a failed accept so a listener whose endpoint keeps failing does not spin.
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);
    private readonly Socket _socket;
    private readonly TransportAddress _address;
    private readonly IListener _listener;
    private readonly EndpointSettings _settings;
    private readonly CancellationTokenSource _stop;
    private Task _accepting = Task.CompletedTask;

    internal Listener(Socket socket, TransportAddress address, EndpointSettings settings, IListener listener)
    {
        _settings = settings;
        _socket = socket;
        _address = address;
        _listener = listener;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(socket.Closing);
    }

    /// <summary>True when accepted connections are raw (unframed) pipes (<c>?Raw=true</c>).</summary>
    public bool IsRaw => _settings.Raw;

    /// <summary>The address as given to <see cref="Socket.ListenAsync"/>.</summary>
    public string Address => _address.Original;

    /// <summary>The address actually bound, with port 0 resolved (<c>tcp://127.0.0.1:41234</c>): give it to dialers.</summary>
    public string BoundAddress => _listener.BoundAddress;

    internal void Start() => _accepting = AcceptLoopAsync(_stop.Token);

    private async Task AcceptLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            IConnection connection;
            try
            {
                connection = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                // A failed accept (for example a handshake that went wrong) costs that one connection only.
                Log.AcceptFailed(_socket.Logger, ex, BoundAddress);
                try
                {
                    await Task.Delay(AcceptRetryDelay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (_socket.TryAddPipe(connection, isDialed: false, _settings) is null)
            {
                if (!_socket.IsDisposed)
                {
                    _socket.OnPipeRefused(connection);
                }

                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    internal async Task StopAsync()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        await _listener.DisposeAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
    }

    /// <summary>Stops accepting and releases the address. Pipes already accepted stay open.</summary>
    public async ValueTask DisposeAsync()
    {
        _socket.Forget(this);
        await StopAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"Listener({BoundAddress})";
}
