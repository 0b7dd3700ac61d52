namespace MultiSocket;

/// <summary>Counters of a socket; each read is a snapshot, safe from any thread.</summary>
public sealed class SocketStatistics
{
    private long _dropped;
    private long _unroutable;
    private long _expired;
    private long _pipesAdded;
    private long _pipesRemoved;
    private long _pipesRefused;

    /// <summary>
    /// Messages dropped because a send queue was full and the socket is best-effort (one per pipe that missed it). A
    /// byte-stream pipe that the publish log overtook has its lost messages counted as the log overwrites them
    /// (see <see cref="SocketOptions.BestEffort"/>).
    /// </summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>To-destination messages dropped because their next pipe no longer exists.</summary>
    public long Unroutable => Volatile.Read(ref _unroutable);

    /// <summary>Forwarded messages dropped because their ttl reached 0 or their source path is full (255 hops).</summary>
    public long Expired => Volatile.Read(ref _expired);

    /// <summary>Pipes opened since the socket was created.</summary>
    public long PipesAdded => Volatile.Read(ref _pipesAdded);

    /// <summary>Pipes closed since the socket was created.</summary>
    public long PipesRemoved => Volatile.Read(ref _pipesRemoved);

    /// <summary>Incoming connections refused because the socket was at its pipe limit.</summary>
    public long PipesRefused => Volatile.Read(ref _pipesRefused);

    internal void OnDropped() => Interlocked.Increment(ref _dropped);

    internal void OnDropped(long count) => Interlocked.Add(ref _dropped, count);

    internal void OnUnroutable() => Interlocked.Increment(ref _unroutable);

    internal void OnExpired() => Interlocked.Increment(ref _expired);

    internal void OnPipeAdded() => Interlocked.Increment(ref _pipesAdded);

    internal void OnPipeRemoved() => Interlocked.Increment(ref _pipesRemoved);

    internal void OnPipeRefused() => Interlocked.Increment(ref _pipesRefused);
}
