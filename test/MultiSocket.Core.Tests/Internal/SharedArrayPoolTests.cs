using MultiSocket.Internal;

namespace MultiSocket.Core.Tests.Internal;

/// <summary>The pool for large arrays: shared by all threads, bounded, growing a few arrays at a time.</summary>
public class SharedArrayPoolTests
{
    [Test]
    public void RentsArraysOfItsLength()
    {
        var pool = new SharedArrayPool(64 * 1024, 16);
        Assert.That(pool.Rent(), Has.Length.EqualTo(64 * 1024));
    }

    [Test]
    public void AnEmptyPoolGrowsByUpTo256KiB()
    {
        var pool = new SharedArrayPool(64 * 1024, 16);
        pool.Rent();
        Assert.That(pool.Count, Is.EqualTo(3), "four 64 KiB arrays made, one rented");

        var large = new SharedArrayPool(128 * 1024, 16);
        large.Rent();
        Assert.That(large.Count, Is.EqualTo(1));

        var capped = new SharedArrayPool(16 * 1024, 4);
        capped.Rent();
        Assert.That(capped.Count, Is.EqualTo(3), "growth stops at the pool's limit");
    }

    [Test]
    public void AnArrayReturnedOnOneThreadIsRentedOnAnother()
    {
        // The point of sharing: no thread keeps arrays another one needs.
        var pool = new SharedArrayPool(128 * 1024, 16);
        byte[]? returned = null;
        var thread = new Thread(() =>
        {
            returned = new byte[128 * 1024];
            pool.Return(returned);
        });
        thread.Start();
        thread.Join();

        Assert.That(pool.Rent(), Is.SameAs(returned));
        Assert.That(pool.Count, Is.Zero);
    }

    [Test]
    public void KeepsNoMoreThanItsLimit()
    {
        var pool = new SharedArrayPool(16 * 1024, 2);
        for (int i = 0; i < 5; i++)
        {
            pool.Return(new byte[16 * 1024]);
        }

        Assert.That(pool.Count, Is.EqualTo(2));
    }

    [Test]
    public void ArraysInCirculationAreMadeOnce()
    {
        // Two threads passing arrays back and forth through a bounded hand-off: after the first round, every rent is
        // served by an array that came back, whichever thread returned it.
        var pool = new SharedArrayPool(64 * 1024, 64);
        var made = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        using var handOff = new System.Collections.Concurrent.BlockingCollection<byte[]>(8);
        var consumer = Task.Run(() =>
        {
            foreach (var array in handOff.GetConsumingEnumerable())
            {
                pool.Return(array);
            }
        });
        for (int i = 0; i < 10_000; i++)
        {
            var array = pool.Rent();
            made.Add(array);
            handOff.Add(array);
        }

        handOff.CompleteAdding();
        Assert.That(consumer.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(made, Has.Count.LessThanOrEqualTo(8 + 2 + 4), "the hand-off's capacity, one in each thread's hands, one growth step");
    }

    [TestCase(0, 1)]
    [TestCase(1024, 0)]
    public void RejectsNonPositiveSizes(int length, int maxArrays)
    {
        Assert.That(() => new SharedArrayPool(length, maxArrays), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
