namespace MultiSocket.Transport;

/// <summary>A way of connecting sockets, selected by the scheme of an address (<c>tcp</c>, <c>inproc</c>, …).</summary>
public interface ITransport
{
    /// <summary>The address scheme this transport serves, lower case, without <c>://</c>.</summary>
    string Scheme { get; }

    /// <summary>Connects to a listener at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentException">The address is not valid for this transport.</exception>
    ValueTask<IConnection> DialAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken);

    /// <summary>Binds a listener at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentException">The address is not valid for this transport.</exception>
    ValueTask<IListener> ListenAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken);
}
