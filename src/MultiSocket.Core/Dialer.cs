using System.Diagnostics;
using MultiSocket.Internal;
using MultiSocket.Transport;

namespace MultiSocket;

/// <summary>
/// An outgoing connection of a socket and the loop that keeps it up: when its pipe closes it redials, waiting
/// <see cref="SocketOptions.MinReconnectInterval"/> at first and doubling up to
/// <see cref="SocketOptions.MaxReconnectInterval"/> while attempts fail or connections die young (under a second).
/// </summary>
public sealed class Dialer : IAsyncDisposable
{
    private static readonly TimeSpan ShortLived = TimeSpan.FromSeconds(1);
    private readonly Socket _socket;
    private readonly TransportAddress _address;
    private readonly ITransport _transport;
    private readonly EndpointSettings _settings;
    private readonly CancellationTokenSource _stop;
    private Pipe? _pipe;
    private Task _supervision = Task.CompletedTask;

    internal Dialer(Socket socket, TransportAddress address, EndpointSettings settings, ITransport transport)
    {
        _settings = settings;
        _socket = socket;
        _address = address;
        _transport = transport;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(socket.Closing);
    }

    /// <summary>The address dialed.</summary>
    public string Address => _address.Original;

    /// <summary>True when the dialed connection is a raw (unframed) pipe (<c>?Raw=true</c>).</summary>
    public bool IsRaw => _settings.Raw;

    /// <summary>True while the dialer has a live pipe.</summary>
    public bool IsConnected => _pipe is { Completion.IsCompleted: false };

    /// <summary>The id of the current pipe, or 0 while disconnected.</summary>
    public uint PipeId => _pipe is { Completion.IsCompleted: false } pipe ? pipe.Id : 0;

    internal async Task ConnectAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        if (_socket.Options.PipeLimit is { } limit && _socket.PipeCount >= limit)
        {
            throw new InvalidOperationException($"The socket is at its pipe limit of {limit}; cannot dial {Address}.");
        }

        var connection = await DialOnceAsync(linked.Token).ConfigureAwait(false);
        _pipe = _socket.TryAddPipe(connection, isDialed: true, _settings);
        if (_pipe is null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            _socket.ThrowIfDisposed();
            throw new InvalidOperationException($"The socket reached its pipe limit while dialing {Address}.");
        }

        if (_settings.Reconnect)
        {
            _supervision = SuperviseAsync(_pipe, _stop.Token);
        }
    }

    private async Task<IConnection> DialOnceAsync(CancellationToken cancellationToken) =>
        await _transport.DialAsync(_address, _settings.Transport, cancellationToken).ConfigureAwait(false);

    private async Task SuperviseAsync(Pipe pipe, CancellationToken token)
    {
        var options = _settings;
        var delay = options.MinReconnectInterval;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var lived = Stopwatch.StartNew();
                await pipe.Completion.WaitAsync(token).ConfigureAwait(false);
                if (lived.Elapsed >= ShortLived)
                {
                    delay = options.MinReconnectInterval;
                }

                while (true)
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                    delay = Next(delay, options.MaxReconnectInterval);
                    await _socket.WaitForPipeSlotAsync(token).ConfigureAwait(false);
                    try
                    {
                        var connection = await DialOnceAsync(token).ConfigureAwait(false);
                        var next = _socket.TryAddPipe(connection, isDialed: true, _settings);
                        if (next is null)
                        {
                            await connection.DisposeAsync().ConfigureAwait(false);
                            continue;
                        }

                        _pipe = pipe = next;
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.RedialFailed(_socket.Logger, ex, Address, delay);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static TimeSpan Next(TimeSpan delay, TimeSpan max) => delay * 2 > max ? max : delay * 2;

    internal async Task StopAsync(bool closePipe)
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        await _supervision.ConfigureAwait(false);
        if (closePipe && _pipe is { } pipe)
        {
            pipe.Abort();
            await pipe.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>Stops reconnecting and closes this dialer's pipe.</summary>
    public async ValueTask DisposeAsync()
    {
        _socket.Forget(this);
        await StopAsync(closePipe: true).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"Dialer({Address})";
}
