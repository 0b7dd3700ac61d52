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

    /// <summary>Queue capacity of in-process connections, in messages.</summary>
    public int MessageQueueSize { get; init; } = SocketOptions.DefaultQueueSize;
}
