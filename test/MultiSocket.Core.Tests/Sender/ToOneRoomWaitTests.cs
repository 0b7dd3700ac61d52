using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Sender;

/// <summary>
/// A send to one of several pipes whose queues are all full waits for room in any of them with one pooled waiter
/// queued on every pipe (Sender/ToOneSender.cs, Internal/Waiter.cs): it allocates nothing, and the entries it leaves
/// in the pipes that did not resume it are skipped and dropped, never piling up.
/// </summary>
[CancelAfter(60_000)]
[NonParallelizable]
public class ToOneRoomWaitTests
{
    // Well above what a Debug build's state machines cost, far below the old cost per wait (see below).
    private const double MaxBytesPerSend = 600;

    [Test]
    public async Task SendsBlockedOnEveryPipeAllocateNothingPerMessage()
    {
        const int warmup = 5_000;
        const int count = 40_000;
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 1 });
        var readers = new[] { NewReader(), NewReader() };
        try
        {
            foreach (var reader in readers)
            {
                await sender.DialAsync(await reader.ListenOnAsync("inproc"));
            }

            await Wait.UntilAsync(() => sender.PipeCount == readers.Length, "both pipes open");
            var received = new int[readers.Length];
            _ = readers.Select((r, i) => Task.Run(() => DrainAsync(r, received, i))).ToArray();

            // Queues of one on both sides: the sender finds every pipe full most of the time, and waits.
            var payload = new byte[16];
            await SendAsync(sender, payload, warmup);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await SendAsync(sender, payload, count);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            await Wait.UntilAsync(() => received.Sum() == warmup + count, "every message received");
            Assert.That(received, Is.All.GreaterThan(0), "both pipes took messages");

            // Before, each wait allocated a linked token source, a task per pipe and continuations: 3.3-3.9 KB per
            // message here. Tests run a Debug build, whose async methods allocate their state machine on every call
            // that waits (90-200 B per message here); in Release this loop allocates nothing (0.0 B/msg measured).
            Assert.That((double)allocated / count, Is.LessThan(MaxBytesPerSend), $"{allocated} bytes for {count} sends");
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task APeerThatStoppedReadingHoldsNoPileOfStaleWaits()
    {
        const int count = 20_000;
        await using var stalled = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        await using var reader = NewReader();
        await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 1, Linger = TimeSpan.FromMilliseconds(100) });
        await sender.DialAsync(await stalled.ListenOnAsync("inproc"));
        await Wait.UntilAsync(() => sender.PipeCount == 1, "the pipe to the stalled peer opens");
        await sender.SendAsync(new byte[1]);
        await sender.SendAsync(new byte[1]);
        await sender.DialAsync(await reader.ListenOnAsync("inproc"));
        await Wait.UntilAsync(() => sender.PipeCount == 2, "the pipe to the reader opens");

        var received = new int[1];
        _ = Task.Run(() => DrainAsync(reader, received, 0));
        var payload = new byte[16];
        await SendAsync(sender, payload, 2_000);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await SendAsync(sender, payload, count);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        // Every wait queues on the stalled pipe too and is resumed by the reader's: were the stalled pipe's entries
        // kept (or its waiters, as before), memory would grow with every wait.
        await Wait.UntilAsync(() => received[0] == 2_000 + count, "everything reached the reader");
        Assert.That((double)allocated / count, Is.LessThan(MaxBytesPerSend), $"{allocated} bytes for {count} sends");
    }

    private static Socket NewReader() => new(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });

    private static async Task SendAsync(Socket sender, byte[] payload, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var sent = sender.SendAsync(payload);
            if (!sent.IsCompletedSuccessfully)
            {
                await sent;
            }
        }
    }

    private static async Task DrainAsync(Socket reader, int[] received, int index)
    {
        try
        {
            while (true)
            {
                using var message = await reader.ReceiveAsync();
                Interlocked.Increment(ref received[index]);
            }
        }
        catch (ObjectDisposedException)
        {
            // The test is over.
        }
    }
}
