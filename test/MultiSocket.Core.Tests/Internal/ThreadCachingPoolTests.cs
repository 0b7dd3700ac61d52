using System.Threading.Channels;
using MultiSocket.Internal;

namespace MultiSocket.Core.Tests.Internal;

/// <summary>The per-thread caching pool behind <see cref="Message"/>: objects change threads in whole batches.</summary>
[CancelAfter(60_000)]
public class ThreadCachingPoolTests
{
    private const int Batch = ThreadCachingPool<object>.BatchSize;

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

    // Thread caches are static per item type, so each test pools a type of its own.
    private static ThreadCachingPool<T> NewPool<T>(out Counter created, int maxBatches)
        where T : class, new()
    {
        var counter = created = new Counter();
        return new ThreadCachingPool<T>(() =>
        {
            Interlocked.Increment(ref counter.Value);
            return new T();
        }, maxBatches);
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

    private sealed class Counter
    {
        public int Value;
    }
}
