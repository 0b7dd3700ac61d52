using Microsoft.Extensions.Logging;
using MultiSocket.Transport;

namespace MultiSocket;

/// <summary>
/// Settings of a <see cref="Socket"/>. Defaults follow the Go multisocket library. The object is immutable once the
/// socket is created (use <c>with</c> to derive variants).
/// </summary>
public sealed record SocketOptions
{
    /// <summary>Default ttl of messages a socket originates.</summary>
    public const byte DefaultSendTtl = 16;

    /// <summary>Default capacity of a socket's receive queue, in messages.</summary>
    public const int DefaultReceiveQueueSize = 64;

    /// <summary>
    /// Default capacity of each pipe's send queue, in messages. Larger than the receive queue: under load a pipe's write
    /// loop encodes what is queued and sends it with one system call, so the send queue bounds that batch (pub/sub at 64
    /// B to 4 subscribers over tcp: 1.14-1.34 M messages/s per subscriber with 64, 1.44-1.50 M with 256).
    /// </summary>
    public const int DefaultSendQueueSize = 256;

    /// <summary>Default largest content a pipe accepts: 128 KiB.</summary>
    public const uint DefaultMaxReceiveContentLength = 128 * 1024;

    /// <summary>Default options.</summary>
    public static SocketOptions Default { get; } = new();

    /// <summary>The socket never sends; every send throws <see cref="InvalidOperationException"/>.</summary>
    public bool NoSend { get; init; }

    /// <summary>The socket never receives; arriving messages are dropped and receives throw <see cref="InvalidOperationException"/>.</summary>
    public bool NoReceive { get; init; }

    /// <summary>
    /// Capacity of the socket's receive queue, shared by all pipes (default 64). In-process peers put their messages
    /// straight into it. A tcp, ipc or ws pipe queues each run of small whole frames it reads at once (frames up to 4 KiB,
    /// up to 32 KiB per run) as one entry, which the receiving consumers decode one message at a time as they take them;
    /// larger frames take an entry each. Messages leave the queue in the order they arrived, whichever way they came.
    /// </summary>
    public int ReceiveQueueSize { get; init; } = DefaultReceiveQueueSize;

    /// <summary>
    /// Capacity of each pipe's send queue (default 256). An in-process pipe hands messages straight to the peer socket's
    /// receive queue; its send queue holds only what is sent before the peer's pipe exists or while that queue is full.
    /// </summary>
    public int SendQueueSize { get; init; } = DefaultSendQueueSize;

    /// <summary>Ttl given to messages this socket originates (default 16).</summary>
    public byte SendTtl { get; init; } = DefaultSendTtl;

    /// <summary>
    /// When a send queue is full, drop the message and count it in <see cref="SocketStatistics.Dropped"/> instead of
    /// waiting for room (default false).
    /// </summary>
    /// <remarks>
    /// A best-effort socket encodes its sends to all once, into a log that each framed byte-stream pipe (tcp, ipc, ws)
    /// copies from at its own pace, instead of queuing the message on every pipe: 8 chunks of up to 32 KiB and twice
    /// <see cref="SendQueueSize"/> frames each, made at the first send to all. A pipe that falls 7 chunks behind skips
    /// to 4 behind the newest (it loses the oldest messages, where a full queue loses the newest); each lost message is
    /// counted in <see cref="SocketStatistics.Dropped"/> once, as the log overwrites it or the pipe skips it, also
    /// while the pipe waits on a peer that does not read. One sender's sends to all and to
    /// one peer still arrive in the order it made them. In-process pipes, raw pipes and frames over 32 KiB go through
    /// the pipes' queues.
    /// </remarks>
    public bool BestEffort { get; init; }

    /// <summary>Largest content a pipe accepts (default 128 KiB; 0 = no limit). A larger frame closes that pipe.</summary>
    public uint MaxReceiveContentLength { get; init; } = DefaultMaxReceiveContentLength;

    /// <summary>
    /// Most pipes the socket keeps at once; null for no limit (the default). At the limit, listeners refuse new
    /// connections and dialers wait before reconnecting.
    /// </summary>
    public int? PipeLimit { get; init; }

    /// <summary>Dialers reconnect when their pipe closes (default true).</summary>
    public bool Reconnect { get; init; } = true;

    /// <summary>First wait before a reconnect attempt; doubled after each failure (default 100 ms).</summary>
    public TimeSpan MinReconnectInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between reconnect attempts (default 8 s).</summary>
    public TimeSpan MaxReconnectInterval { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>How long <see cref="Socket.DisposeAsync"/> waits for queued sends to be written (default 1 s).</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Settings handed to transports (TCP no-delay, buffer sizes, …).</summary>
    public TransportOptions Transport { get; init; } = TransportOptions.Default;

    /// <summary>Where pipe errors and lifecycle events are logged; null for no logging.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every value and throws on the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    /// <exception cref="ArgumentNullException">A required value is null.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueSize, 1, nameof(ReceiveQueueSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(SendQueueSize, 1, nameof(SendQueueSize));
        ArgumentOutOfRangeException.ThrowIfZero(SendTtl, nameof(SendTtl));
        if (PipeLimit is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(PipeLimit));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinReconnectInterval, TimeSpan.Zero, nameof(MinReconnectInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectInterval, MinReconnectInterval, nameof(MaxReconnectInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(Linger, TimeSpan.Zero, nameof(Linger));
        ArgumentNullException.ThrowIfNull(Transport, nameof(Transport));
    }
}
