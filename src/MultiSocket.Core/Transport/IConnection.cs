namespace MultiSocket.Transport;

/// <summary>
/// One established connection to a peer, as a transport hands it to a socket, which makes it a pipe. Implement
/// <see cref="IStreamConnection"/> for byte streams (framed with the native codec); the in-process transport's
/// connections carry whole <see cref="Message"/> objects from pipe to pipe instead.
/// </summary>
public interface IConnection : IAsyncDisposable
{
    /// <summary>This end's address, in <c>scheme://…</c> form.</summary>
    string LocalAddress { get; }

    /// <summary>The peer's address, in <c>scheme://…</c> form.</summary>
    string RemoteAddress { get; }
}
