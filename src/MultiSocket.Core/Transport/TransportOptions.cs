namespace MultiSocket.Transport;

/// <summary>Settings a transport applies to the connections it makes (from socket options and the address).</summary>
public sealed record TransportOptions
{
    /// <summary>Default options.</summary>
    public static TransportOptions Default { get; } = new();

    /// <summary>TCP: disable Nagle's algorithm (on by default: messages are small and latency matters).</summary>
    public bool NoDelay { get; init; } = true;

    /// <summary>TCP: enable keep-alive probes.</summary>
    public bool KeepAlive { get; init; }

    /// <summary>Socket send buffer size in bytes; 0 keeps the system default.</summary>
    public int SendBufferSize { get; init; }

    /// <summary>Socket receive buffer size in bytes; 0 keeps the system default.</summary>
    public int ReceiveBufferSize { get; init; }

    /// <summary>
    /// Receive buffer (segment) size in bytes for byte-stream connections, and the largest chunk a raw pipe turns into
    /// one message; 0 keeps the default (16 KiB for framed, 4 KiB chunks for raw pipes).
    /// </summary>
    public int ReadBufferSize { get; init; }

    /// <summary>
    /// The connection carries raw bytes rather than frames (a raw pipe). Set per address with <c>?Raw=true</c>; a
    /// websocket connection then sends each flushed chunk as one websocket message.
    /// </summary>
    public bool Raw { get; init; }

    /// <summary>
    /// Capacity, in messages, of an in-process connection's queue towards the peer for what is sent before the peer's
    /// pipe exists (after that, messages go straight into the peer socket's receive queue). The socket sets it from
    /// <see cref="SocketOptions.SendQueueSize"/> for every dial and listen.
    /// </summary>
    public int MessageQueueSize { get; init; } = SocketOptions.DefaultSendQueueSize;
}
