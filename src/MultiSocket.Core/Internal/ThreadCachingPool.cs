namespace MultiSocket.Internal;

/// <summary>
/// An object pool for objects that one thread rents and another returns (a sender's messages, disposed by the
/// receiver's consumer). Each thread rents from and returns to a small cache of its own, with no shared memory touched;
/// full and empty caches change hands between threads whole, under a lock, once per <see cref="BatchSize"/> objects.
/// A pool shared item by item (one compare-exchange on a shared slot per rent and per return) moved its cache line
/// between the two cores for every message, and capped a producer–consumer pair at a few million messages a second.
/// </summary>
/// <remarks>
/// One instance per <typeparamref name="T"/> (the thread caches are static per closed type). At most
/// <c>maxBatches</c> full caches are kept between threads, and each thread keeps one; beyond that objects go to an
/// item-by-item pool of 1024, and past that to the GC.
/// </remarks>
internal sealed class ThreadCachingPool<T>(Func<T> factory, int maxBatches)
    where T : class
{
    public const int BatchSize = 32;

    [ThreadStatic]
    private static Cache? t_cache;

    private readonly Stack<T[]> _full = new();
    private readonly Stack<T[]> _empty = new();

    // Item by item, for what does not fit the batches: a thread that finds no full batch rents here before allocating,
    // and one that finds the reserve of batches full returns here instead of dropping.
    private readonly ObjectPool<T> _overflow = new(factory, 1024);

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
        lock (_full)
        {
            if (_full.TryPop(out var full))
            {
                // Our cache is empty: hand it over for the next thread that fills one, take a full one.
                _empty.Push(cache.Items);
                cache.Items = full;
                cache.Count = BatchSize;
            }
        }

        if (cache.Count == 0)
        {
            return _overflow.Rent();
        }

        var item = cache.Items[--cache.Count];
        cache.Items[cache.Count] = null!;
        return item;
    }

    private void ReturnSlow(T item)
    {
        var cache = t_cache ??= new Cache();
        if (cache.Count == BatchSize)
        {
            lock (_full)
            {
                if (_full.Count >= maxBatches)
                {
                    _overflow.Return(item);
                    return;
                }

                _full.Push(cache.Items);
                cache.Items = _empty.TryPop(out var empty) ? empty : new T[BatchSize];
                cache.Count = 0;
            }
        }

        cache.Items[cache.Count++] = item;
    }

    private sealed class Cache
    {
        public T[] Items = new T[BatchSize];
        public int Count;
    }
}
