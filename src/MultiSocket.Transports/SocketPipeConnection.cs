using System.IO.Pipelines;
using MultiSocket.Internal;
using MultiSocket.Transport;
using Pipelines.Sockets.Unofficial;

namespace MultiSocket.Transports;

/// <summary>
/// A connected stream socket (tcp or unix domain) as a duplex pipe, through Pipelines.Sockets.Unofficial's
/// <see cref="SocketConnection"/>.
/// </summary>
internal sealed class SocketPipeConnection : IStreamConnection
{
    private const int DefaultSegmentSize = 16 * 1024;

    // Twice the write loop's flush threshold (64 KiB), so that a flush mostly goes out as one buffer: a send that spans
    // segments goes to the socket as a buffer list, for which the runtime allocates two arrays per call (tcp 1 KiB
    // messages: 1.8 B/msg with 16 KiB segments, 0.2 B/msg with these). Pooled up to BufferPool.MaxPooledLength.
    private const int SendSegmentSize = 128 * 1024;

    // The send pipe's reader (the connection's send loop) runs inline: a flush from our write loop sends on the write
    // loop's thread, as long as the socket takes the bytes at once. Scheduled on the thread pool, the send loop was a
    // hand-off per flush and read whatever had piled up meanwhile, often across segments, which the runtime sends as a
    // buffer list and allocates for (tcp 64 KiB: 12-40 B per message scheduled; inline 0.4-1.4 B in about half the runs).
    //
    // The writer pauses at 512 KiB queued (four segments) rather than the receive side's 1 MiB: when the socket is
    // backed up the send loop sends all it has as one buffer list, and the runtime describes up to 8 buffers on the
    // stack but allocates two arrays for more (Linux's UIO_FASTIOV); 1 MiB of 128 KiB segments, plus the partly used
    // ones at either end, went past 8 (tcp 64 KiB: 0.6-0.8 B per message; 0-0.1 B at 512 KiB, same throughput).
    private static readonly PipeOptions SendOptions = Options(SendSegmentSize, PipeScheduler.Inline, pauseWriterThreshold: 512 * 1024);
    private static readonly PipeOptions DefaultReceiveOptions = Options(DefaultSegmentSize, PipeScheduler.ThreadPool);

    private readonly SocketConnection _connection;

    public SocketPipeConnection(System.Net.Sockets.Socket socket, string localAddress, string remoteAddress, TransportOptions options)
    {
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        var receive = options.ReadBufferSize > 0 ? Options(options.ReadBufferSize, PipeScheduler.ThreadPool) : DefaultReceiveOptions;
        // Socket completions continue the connection's send and receive loops inline, on the thread-pool thread that
        // already runs the completion: scheduling them through the pipes' scheduler queued (and allocated) a work item
        // per completion, 64 B per request-reply round trip and ~1.6 B per KiB streamed. The loops never block, so
        // running them inline is safe; our read and write loops are still scheduled by the pipes.
        _connection = SocketConnection.Create(
            socket, SendOptions, receive, SocketConnectionOptions.InlineReads | SocketConnectionOptions.InlineWrites, remoteAddress);
    }

    public IDuplexPipe Transport => _connection;

    public string LocalAddress { get; }

    public string RemoteAddress { get; }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return default;
    }

    // Let up to 1 MiB (by default) queue before pushing back on the writer. Segments come from a pool deep enough for
    // that much (the shared pool is not: a busy connection allocated most of its segments).
    private static PipeOptions Options(int segmentSize, PipeScheduler readerScheduler, int pauseWriterThreshold = 1024 * 1024) => new(
        pauseWriterThreshold: Math.Max(pauseWriterThreshold, 4 * segmentSize),
        resumeWriterThreshold: Math.Max(pauseWriterThreshold, 4 * segmentSize) / 2,
        pool: PooledMemoryPool.Instance,
        readerScheduler: readerScheduler,
        minimumSegmentSize: segmentSize,
        useSynchronizationContext: false);
}
