namespace MultiSocket.Transport;

/// <summary>A bound listening endpoint of a transport.</summary>
public interface IListener : IAsyncDisposable
{
    /// <summary>The address actually bound (port 0 resolved to the real port), in <c>scheme://…</c> form.</summary>
    string BoundAddress { get; }

    /// <summary>Waits for the next incoming connection.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The listener was closed.</exception>
    ValueTask<IConnection> AcceptAsync(CancellationToken cancellationToken = default);
}
