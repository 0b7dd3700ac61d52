using MultiSocket.Internal;

namespace MultiSocket.Core.Tests.Internal;

/// <summary>Content buffers: the shared pool up to 512 B, power-of-two pools up to 128 KiB, the GC beyond.</summary>
public class BufferPoolTests
{
    [TestCase(513, 1024)]
    [TestCase(1024, 1024)]
    [TestCase(1025, 2048)]
    [TestCase(64 * 1024, 64 * 1024)]
    [TestCase(64 * 1024 + 8, 128 * 1024)]
    [TestCase(128 * 1024, 128 * 1024)]
    public void PooledSizesAreTheNextPowerOfTwo(int length, int expected)
    {
        var buffer = BufferPool.Rent(length);
        Assert.That(buffer, Has.Length.EqualTo(expected));
        BufferPool.Return(buffer);
    }

    [Test]
    public void SmallBuffersComeFromTheSharedPool()
    {
        var buffer = BufferPool.Rent(100);
        Assert.That(buffer.Length, Is.GreaterThanOrEqualTo(100).And.LessThanOrEqualTo(512));
        BufferPool.Return(buffer);
    }

    [Test]
    public void ContentAboveTheLimitIsAllocatedToSizeAndNotKept()
    {
        var buffer = BufferPool.Rent(BufferPool.MaxPooledLength + 1);
        Assert.That(buffer, Has.Length.EqualTo(BufferPool.MaxPooledLength + 1));
        Assert.That(() => BufferPool.Return(buffer), Throws.Nothing);
        Assert.That(BufferPool.Rent(BufferPool.MaxPooledLength + 1), Is.Not.SameAs(buffer));
    }

    [Test]
    public void AReturnedBufferIsRentedAgainOnTheSameThread()
    {
        // A thread of its own: thread caches are per thread.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var first = BufferPool.Rent(4000);
                BufferPool.Return(first);
                var second = BufferPool.Rent(3000);
                Assert.That(second, Is.SameAs(first), "the thread's cache for 4 KiB gave it back");
                BufferPool.Return(second);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        Assert.That(failure, Is.Null, failure?.Message);
    }

    [Test]
    public void LargeBuffersAreSharedBetweenThreads()
    {
        // From 16 KiB up a buffer returned on one thread is rented on another (no per-thread cache keeps it).
        byte[]? returned = null;
        var thread = new Thread(() =>
        {
            returned = BufferPool.Rent(BufferPool.SharedFrom);
            BufferPool.Return(returned);
        });
        thread.Start();
        thread.Join();

        var rented = new List<byte[]>();
        bool found = false;
        for (int i = 0; i < 300 && !found; i++)
        {
            var buffer = BufferPool.Rent(BufferPool.SharedFrom);
            rented.Add(buffer);
            found = ReferenceEquals(buffer, returned);
        }

        rented.ForEach(BufferPool.Return);
        Assert.That(found, Is.True, "the other thread's buffer came back from the shared pool");
    }

    [Test]
    public void ArraysThePoolDidNotMakeAreLeftToTheGc()
    {
        // Odd sizes above the shared pool's range cannot be told apart from pooled ones by size: they are dropped.
        Assert.That(() => BufferPool.Return(new byte[3000]), Throws.Nothing);
        Assert.That(BufferPool.Rent(3000), Has.Length.EqualTo(4096));
    }
}
