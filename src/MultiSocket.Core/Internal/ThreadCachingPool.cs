using System.Collections.Concurrent;

namespace MultiSocket.Internal;

/// <summary>
/// An object pool for objects that one thread rents and another returns (a sender's messages, disposed by the
/// receiver's consumer). Each thread rents from and returns to a small cache of its own, with no shared memory touched;
/// full and empty caches change hands between threads whole, through lock-free queues, once per batch of objects.
/// A pool shared item by item (one compare-exchange on a shared slot per rent and per return) moved its cache line
/// between the two cores for every message, and capped a producer–consumer pair at a few million messages a second.
/// </summary>
/// <remarks>
/// Each thread keeps one cache per pool (in a thread-static array indexed by the pool's slot). At most
/// <c>maxBatches</c> full caches are kept between threads, and each thread keeps one; beyond that a full cache goes to
/// the GC. A thread that finds no full cache to take makes a new one, so the slow path runs once per batch either way.
/// </remarks>
internal sealed class ThreadCachingPool<T>
    where T : class
{
    public const int DefaultBatchSize = 32;

    [ThreadStatic]
    private static Cache?[]? t_caches;

    private static int s_pools;

    private readonly Func<T> _factory;
    private readonly int _maxBatches;
    private readonly int _batchSize;
    private readonly int _slot = Interlocked.Increment(ref s_pools) - 1;

    // Lock-free queues (their ring segments are reused once large enough): under a lock the renting and returning
    // threads blocked on each other whenever the holder was preempted, which on two cores was often.
    private readonly ConcurrentQueue<T[]> _full = new();
    private readonly ConcurrentQueue<T[]> _empty = new();
    private int _fullCount;

    /// <param name="factory">Makes a new object when no cached one is left.</param>
    /// <param name="maxBatches">Full caches kept between threads.</param>
    /// <param name="batchSize">Objects per cache: what a thread keeps, and what changes hands at once.</param>
    public ThreadCachingPool(Func<T> factory, int maxBatches, int batchSize = DefaultBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _factory = factory;
        _maxBatches = maxBatches;
        _batchSize = batchSize;
    }

    public T Rent()
    {
        var caches = t_caches;
        if (caches is not null && (uint)_slot < (uint)caches.Length && caches[_slot] is { Count: > 0 } cache)
        {
            var items = cache.Items;
            var item = items[--cache.Count];
            items[cache.Count] = null!;
            return item;
        }

        return RentSlow();
    }

    /// <summary>
    /// The objects the next two <see cref="Rent"/>s on this thread will return, if this thread's cache holds them
    /// (null otherwise); they stay in the cache. For prefetching what is about to be used.
    /// </summary>
    public void PeekNext(out T? next, out T? afterNext)
    {
        next = afterNext = null;
        var caches = t_caches;
        if (caches is not null && (uint)_slot < (uint)caches.Length && caches[_slot] is { } cache)
        {
            int count = cache.Count;
            var items = cache.Items;
            if ((uint)(count - 1) < (uint)items.Length)
            {
                next = items[count - 1];
                if (count >= 2)
                {
                    afterNext = items[count - 2];
                }
            }
        }
    }

    public void Return(T item)
    {
        var caches = t_caches;
        if (caches is not null && (uint)_slot < (uint)caches.Length && caches[_slot] is { } cache && cache.Count < _batchSize)
        {
            cache.Items[cache.Count++] = item;
            return;
        }

        ReturnSlow(item);
    }

    /// <summary>This thread's cache for this pool, made on first use.</summary>
    private Cache ThreadCache()
    {
        var caches = t_caches;
        if (caches is null || caches.Length <= _slot)
        {
            Array.Resize(ref caches, Math.Max(_slot + 1, 4));
            t_caches = caches;
        }

        return caches[_slot] ??= new Cache(_batchSize);
    }

    private T RentSlow()
    {
        var cache = ThreadCache();
        if (_full.TryDequeue(out var full))
        {
            Interlocked.Decrement(ref _fullCount);

            // Our cache is empty: hand it over for the next thread that fills one.
            _empty.Enqueue(cache.Items);
        }

        if (full is not null)
        {
            cache.Items = full;
        }
        else
        {
            // None to spare (the other side still holds them, or this is the start): make a whole batch, so the next
            // rents are local again. Making one at a time sent every rent to the shared pool while the returning
            // thread filled its cache, and the two threads fought over it.
            var items = cache.Items;
            for (int i = 0; i < _batchSize; i++)
            {
                items[i] = _factory();
            }
        }

        cache.Count = _batchSize - 1;
        var item = cache.Items[cache.Count];
        cache.Items[cache.Count] = null!;
        return item;
    }

    private void ReturnSlow(T item)
    {
        var cache = ThreadCache();
        if (cache.Count == _batchSize)
        {
            if (Interlocked.Increment(ref _fullCount) <= _maxBatches)
            {
                _full.Enqueue(cache.Items);
                cache.Items = _empty.TryDequeue(out var empty) ? empty : new T[_batchSize];
            }
            else
            {
                // The reserve is full: leave this batch to the GC and start an empty one, so the next returns are
                // local again (dropping item by item went to the slow path for every return).
                Interlocked.Decrement(ref _fullCount);
                Array.Clear(cache.Items);
            }

            cache.Count = 0;
        }

        cache.Items[cache.Count++] = item;
    }

    private sealed class Cache(int batchSize)
    {
        public T[] Items = new T[batchSize];
        public int Count;
    }
}
