using System.Collections.Concurrent;

namespace MultiSocket.Internal;

/// <summary>
/// An object pool for objects that one thread rents and another returns (a sender's messages, disposed by the
/// receiver's consumer). Each thread rents from and returns to a small cache of its own, with no shared memory touched;
/// full and empty caches change hands between threads whole, through lock-free queues, once per <see cref="BatchSize"/> objects.
/// A pool shared item by item (one compare-exchange on a shared slot per rent and per return) moved its cache line
/// between the two cores for every message, and capped a producer–consumer pair at a few million messages a second.
/// </summary>
/// <remarks>
/// One instance per <typeparamref name="T"/> (the thread caches are static per closed type). At most
/// <c>maxBatches</c> full caches are kept between threads, and each thread keeps one; beyond that a full cache goes to
/// the GC. A thread that finds no full cache to take makes a new one, so the slow path runs once per batch either way.
/// </remarks>
internal sealed class ThreadCachingPool<T>(Func<T> factory, int maxBatches)
    where T : class
{
    public const int BatchSize = 32;

    [ThreadStatic]
    private static Cache? t_cache;

    // Lock-free queues (their ring segments are reused once large enough): under a lock the renting and returning
    // threads blocked on each other whenever the holder was preempted, which on two cores was often.
    private readonly ConcurrentQueue<T[]> _full = new();
    private readonly ConcurrentQueue<T[]> _empty = new();
    private int _fullCount;

    public T Rent()
    {
        var cache = t_cache;
        if (cache is not null && cache.Count > 0)
        {
            var items = cache.Items;
            var item = items[--cache.Count];
            items[cache.Count] = null!;
            return item;
        }

        return RentSlow();
    }

    public void Return(T item)
    {
        var cache = t_cache;
        if (cache is not null && cache.Count < BatchSize)
        {
            cache.Items[cache.Count++] = item;
            return;
        }

        ReturnSlow(item);
    }

    private T RentSlow()
    {
        var cache = t_cache ??= new Cache();
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
            for (int i = 0; i < BatchSize; i++)
            {
                items[i] = factory();
            }
        }

        cache.Count = BatchSize - 1;
        var item = cache.Items[cache.Count];
        cache.Items[cache.Count] = null!;
        return item;
    }

    private void ReturnSlow(T item)
    {
        var cache = t_cache ??= new Cache();
        if (cache.Count == BatchSize)
        {
            if (Interlocked.Increment(ref _fullCount) <= maxBatches)
            {
                _full.Enqueue(cache.Items);
                cache.Items = _empty.TryDequeue(out var empty) ? empty : new T[BatchSize];
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

    private sealed class Cache
    {
        public T[] Items = new T[BatchSize];
        public int Count;
    }
}
