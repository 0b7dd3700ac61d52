using MultiSocket.Internal;

namespace MultiSocket;

/// <summary>
/// A device that forwards every message between two sockets in both directions, as it stands: a message keeps its
/// source path (grown by the receiving pipe's id), so a reply sent with <c>SendToAsync(msg.Source, …)</c> finds its
/// way back through any number of switches. Messages whose ttl runs out are dropped.
/// </summary>
/// <remarks>The switch does not own the sockets: disposing it stops forwarding and leaves them open.</remarks>
public sealed class Switch : IAsyncDisposable
{
    private readonly Func<Message, Message?>? _middleware;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _forwarding;

    /// <summary>Starts forwarding between <paramref name="front"/> and <paramref name="back"/>.</summary>
    /// <param name="front">One socket (usually facing clients).</param>
    /// <param name="back">The other socket (usually facing servers).</param>
    /// <param name="middleware">
    /// Optional: sees every message before it is forwarded, and returns the message to forward (the same one, changed
    /// in place, or a new one, after disposing the old) or null to drop it (the switch disposes it). If it throws, that
    /// message is dropped and the error logged (with the receiving socket's logger); forwarding goes on.
    /// </param>
    /// <exception cref="ArgumentNullException">A socket is null.</exception>
    /// <exception cref="ArgumentException">Both are the same socket.</exception>
    public Switch(Socket front, Socket back, Func<Message, Message?>? middleware = null)
    {
        ArgumentNullException.ThrowIfNull(front);
        ArgumentNullException.ThrowIfNull(back);
        if (ReferenceEquals(front, back))
        {
            throw new ArgumentException("A switch needs two different sockets.", nameof(back));
        }

        Front = front;
        Back = back;
        _middleware = middleware;
        _forwarding = Task.WhenAll(
            Task.Run(() => ForwardAsync(front, back, _stop.Token)),
            Task.Run(() => ForwardAsync(back, front, _stop.Token)));
    }

    /// <summary>The front socket.</summary>
    public Socket Front { get; }

    /// <summary>The back socket.</summary>
    public Socket Back { get; }

    /// <summary>Completes when forwarding has stopped (the switch or either socket was disposed).</summary>
    public Task Completion => _forwarding;

    private async Task ForwardAsync(Socket from, Socket to, CancellationToken token)
    {
        try
        {
            await foreach (var received in from.ReceiveAllAsync(token).ConfigureAwait(false))
            {
                var message = received;
                if (_middleware is not null)
                {
                    Message? result;
                    try
                    {
                        result = _middleware(message);
                    }
                    catch (Exception ex)
                    {
                        // One message the middleware cannot handle must not stop the switch.
                        Log.MiddlewareFailed(from.Logger, ex, message.PipeId);
                        message.Dispose();
                        continue;
                    }

                    if (result is null)
                    {
                        message.Dispose();
                        continue;
                    }

                    message = result;
                }

                await to.SendMessageAsync(message, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops forwarding; the sockets stay open.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _forwarding.ConfigureAwait(false);
        _stop.Dispose();
    }
}
