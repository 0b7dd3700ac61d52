using System.Threading.Channels;
using MultiSocket.Internal;

namespace MultiSocket.Core.Tests.Internal;

/// <summary>The per-thread caching pool behind <see cref="Message"/>: objects change threads in whole batches.</summary>
[CancelAfter(60_000)]
public class ThreadCachingPoolTests
{
    private const int Batch = ThreadCachingPool<object>.DefaultBatchSize;

    [Test]
    public void ObjectsReturnedOnOneThreadAreRentedAgainOnAnother()
    {
        var pool = NewPool<ItemA>(out var created, maxBatches: 8);
        var first = OnThread(() => RentMany(pool, 4 * Batch));
        int afterFirst = created.Value;

        // Returned on a second thread: all but that thread's own cache become full batches for others.
        OnThread(() => first.ForEach(pool.Return));
        var second = OnThread(() => RentMany(pool, 3 * Batch));

        Assert.That(second, Is.SubsetOf(first), "rented again, not made anew");
        Assert.That(created.Value, Is.EqualTo(afterFirst));
    }

    [Test]
    public void AFullReserveLeavesWholeBatchesToTheGc()
    {
        var pool = NewPool<ItemB>(out _, maxBatches: 1);
        var items = OnThread(() => RentMany(pool, 3 * Batch));

        // The returning thread fills its own cache, the reserve takes one batch, the third is dropped.
        OnThread(() => items.ForEach(pool.Return));
        var again = OnThread(() => RentMany(pool, 3 * Batch));

        Assert.That(again.Count(items.Contains), Is.EqualTo(Batch));
    }

    [Test]
    public async Task AProducerAndAConsumerMakeNoMoreObjectsThanTheyKeepInFlight()
    {
        const int inFlight = 256;
        const int count = 200_000;
        var pool = NewPool<ItemC>(out var created, maxBatches: 32);
        var handoff = Channel.CreateBounded<ItemC>(inFlight);

        var producer = Task.Factory.StartNew(
            async () =>
            {
                for (int i = 0; i < count; i++)
                {
                    await handoff.Writer.WriteAsync(pool.Rent());
                }

                handoff.Writer.Complete();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
        var consumer = Task.Run(async () =>
        {
            await foreach (var item in handoff.Reader.ReadAllAsync())
            {
                pool.Return(item);
            }
        });
        await Task.WhenAll(producer, consumer);

        // What is in flight, plus a batch on each thread that took part (continuations move between pool threads),
        // plus a batch made while the other side still held its cache: nowhere near one per message.
        Assert.That(created.Value, Is.LessThan(inFlight + (4 * Environment.ProcessorCount + 8) * Batch));
    }

    [Test]
    public void PoolsOfTheSameTypeKeepTheirObjectsApart()
    {
        // Each pool has its own cache on every thread (the buffer pool has one pool of byte[] per size).
        var a = NewPool<ItemD>(out _, maxBatches: 4);
        var b = NewPool<ItemD>(out var createdB, maxBatches: 4);
        var (fromA, fromB) = OnThread(() =>
        {
            var rented = RentMany(a, 4);
            rented.ForEach(a.Return);
            return (RentMany(a, 4), RentMany(b, 4));
        });

        Assert.That(fromB, Has.No.AnyOf(fromA.ToArray()));
        Assert.That(createdB.Value, Is.EqualTo(Batch), "pool b made its own batch");
    }

    [Test]
    public void ABatchSizeOfItsOwnIsWhatChangesHands()
    {
        var pool = NewPool<ItemE>(out var created, maxBatches: 8, batchSize: 4);
        var items = OnThread(() => RentMany(pool, 12));
        Assert.That(created.Value, Is.EqualTo(12), "three batches of four");

        OnThread(() => items.ForEach(pool.Return));
        var again = OnThread(() => RentMany(pool, 8));
        Assert.That(again, Is.SubsetOf(items));
        Assert.That(created.Value, Is.EqualTo(12));
    }

    [Test]
    public void PeekNextNamesTheNextTwoRentsAndLeavesThemCached()
    {
        var pool = NewPool<ItemF>(out var created, maxBatches: 8, batchSize: 4);
        var (before, peeked, rented, last, empty) = OnThread(() =>
        {
            // Nothing cached on a thread that never rented.
            pool.PeekNext(out var none, out var noneAfter);
            var first = pool.Rent();                         // makes a batch of four, three left here
            pool.PeekNext(out var next, out var afterNext);
            var rentedTwo = RentMany(pool, 2);
            pool.PeekNext(out var lastOne, out var noAfter);    // one left: no second
            pool.Rent();
            pool.PeekNext(out var gone, out _);
            return ((none, noneAfter), (next, afterNext), rentedTwo, (lastOne, noAfter), gone);
        });

        Assert.That(before, Is.EqualTo(((ItemF?)null, (ItemF?)null)));
        Assert.That(rented, Is.EqualTo(new[] { peeked.Item1, peeked.Item2 }), "the next two rents return what was peeked, in order");
        Assert.That(last.Item1, Is.Not.Null);
        Assert.That(last.Item2, Is.Null);
        Assert.That(empty, Is.Null, "the cache is empty after four rents");
        Assert.That(created.Value, Is.EqualTo(4), "peeking made nothing");
    }

    [Test]
    public void BatchSizeBelowOneIsRejected() =>
        Assert.That(() => new ThreadCachingPool<ItemE>(() => new ItemE(), 1, batchSize: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());

    // Each test pools a type of its own, so no test sees objects another one left in a thread's cache.
    private static ThreadCachingPool<T> NewPool<T>(out Counter created, int maxBatches, int batchSize = Batch)
        where T : class, new()
    {
        var counter = created = new Counter();
        return new ThreadCachingPool<T>(
            () =>
            {
                Interlocked.Increment(ref counter.Value);
                return new T();
            },
            maxBatches,
            batchSize);
    }

    private static List<T> RentMany<T>(ThreadCachingPool<T> pool, int count)
        where T : class =>
        Enumerable.Range(0, count).Select(_ => pool.Rent()).ToList();

    // A dedicated thread each time: thread caches are per thread, so this is what "another thread" means here.
    private static T OnThread<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }

    private static void OnThread(Action work) => OnThread(() =>
    {
        work();
        return 0;
    });

    private sealed class ItemA;

    private sealed class ItemB;

    private sealed class ItemC;

    private sealed class ItemD;

    private sealed class ItemE;

    private sealed class ItemF;

    private sealed class Counter
    {
        public int Value;
    }
}
