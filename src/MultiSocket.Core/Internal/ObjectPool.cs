namespace MultiSocket.Internal;

/// <summary>
/// A small lock-free pool: one fast slot plus an array scanned with compare-exchange (the shape of
/// Microsoft.Extensions.ObjectPool's default pool). Rent never fails; Return drops the item when the pool is full.
/// </summary>
internal sealed class ObjectPool<T>(Func<T> factory, int capacity)
    where T : class
{
    private readonly Slot[] _items = new Slot[capacity - 1];
    private T? _fast;

    public T Rent()
    {
        var item = _fast;
        if (item is not null && Interlocked.CompareExchange(ref _fast, null, item) == item)
        {
            return item;
        }

        var items = _items;
        for (int i = 0; i < items.Length; i++)
        {
            item = items[i].Value;
            if (item is not null && Interlocked.CompareExchange(ref items[i].Value, null, item) == item)
            {
                return item;
            }
        }

        return factory();
    }

    public void Return(T item)
    {
        if (_fast is null && Interlocked.CompareExchange(ref _fast, item, null) is null)
        {
            return;
        }

        var items = _items;
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].Value is null && Interlocked.CompareExchange(ref items[i].Value, item, null) is null)
            {
                return;
            }
        }
    }

    private struct Slot
    {
        public T? Value;
    }
}
