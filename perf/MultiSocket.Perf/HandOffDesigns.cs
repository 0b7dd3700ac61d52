using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MultiSocket.Bench;

namespace MultiSocket.Perf;

/// <summary>
/// What a hand-off of small messages between two threads can cost on this machine, whatever the library: one producer
/// thread and one consumer thread pass messages through minimal queues of several designs, and each round prints the
/// rates next to the library's in-process push/pull and the core-to-core check. It bounds what a design change could
/// gain before anyone builds it (docs/performance.md, round 14).
/// </summary>
/// <remarks>
/// The designs, each with no wake-ups (both threads spin) and nothing else per message:
/// <list type="bullet">
/// <item><c>bytes</c>: each message's content is copied as a frame into one byte ring; the producer publishes its end
/// per message with a plain store; the consumer copies each frame into an object of its own pool.</item>
/// <item><c>bytes+lock</c>: the same with one locked instruction per message on each side (an exchange on the end, a
/// compare-exchange on the start), as a queue for several producers and consumers has.</item>
/// <item><c>objects</c>: pooled message objects cross by reference through a ring of slots (plain stores), with
/// per-thread caches of 32 that go back to the producer through a lock-free queue, as the library's message pool does;
/// the consumer reads the object and writes nothing on it.</item>
/// <item><c>objects+write</c>: the same, the consumer resetting two fields, as <see cref="Message.Dispose"/> does.</item>
/// <item><c>bytes/32</c>: the byte ring with the end published once per 32 messages: a batch hand-off.</item>
/// <item><c>multisocket/32</c>: the library's pair with the sends made 32 at a time through
/// <see cref="Socket.SendBatchAsync"/>, received one by one as in the <c>multisocket</c> column.</item>
/// </list>
/// </remarks>
internal static class HandOffDesigns
{
    private const int RingBytes = 1 << 20;
    private const int Slots = 1024;
    private const int CacheSize = 32;

    public static async Task<int> RunAsync(int size, int count, int rounds, TextWriter output)
    {
        if (size > 4096)
        {
            throw new ArgumentException($"msg-size {size} is over the 4096 bytes these designs carry.");
        }

        await using var pair = await InprocPushPull.OpenAsync("designs");
        var payload = new byte[size];

        output.WriteLine($"M msg/s per design, {count:N0} messages of {size} B per run; core-to-core check in ns before the round");
        output.WriteLine("round  core ns  multisocket  multisocket/32  bytes  bytes+lock  objects  objects+write  bytes/32");
        for (int round = 1; round <= rounds; round++)
        {
            double handOff = CoreToCore.HandOffNanoseconds(TimeSpan.FromMilliseconds(100));
            double library = await pair.RateAsync(payload, count);
            double libraryBatched = await pair.RateBatchedAsync(payload, count, 32);
            double bytes = Rate(count, () => RunBytes(payload, count, publishEvery: 1, locked: false));
            double locked = Rate(count, () => RunBytes(payload, count, publishEvery: 1, locked: true));
            double objects = Rate(count, () => RunObjects(payload, count, consumerWrites: false));
            double written = Rate(count, () => RunObjects(payload, count, consumerWrites: true));
            double batched = Rate(count, () => RunBytes(payload, count, publishEvery: 32, locked: false));
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{round,5}  {handOff,7:F0}  {library / 1e6,11:F1}  {libraryBatched / 1e6,14:F1}  {bytes / 1e6,5:F1}  {locked / 1e6,10:F1}  {objects / 1e6,7:F1}  {written / 1e6,13:F1}  {batched / 1e6,8:F1}"));
        }

        return 0;
    }

    private static double Rate(int count, Action run)
    {
        long start = Stopwatch.GetTimestamp();
        run();
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // Frames: a 4-byte length (-1: skip to the ring's start), 4 bytes of padding, the content rounded up to 8 bytes.
    private static void RunBytes(byte[] payload, int count, int publishEvery, bool locked)
    {
        var ring = new ByteRing();
        var consumer = new Thread(() => ConsumeBytes(ring, count, locked)) { IsBackground = true, Name = "designs consumer" };
        consumer.Start();
        ProduceBytes(ring, payload, count, publishEvery, locked);
        consumer.Join();
    }

    private static void ProduceBytes(ByteRing ring, byte[] payload, int count, int publishEvery, bool locked)
    {
        var bytes = ring.Bytes;
        int frame = 8 + ((payload.Length + 7) & ~7);
        long end = 0;
        long startSeen = 0;
        for (int i = 0; i < count; i++)
        {
            int at = (int)(end & (RingBytes - 1));
            int needed = at + frame > RingBytes ? RingBytes - at + frame : frame;
            while (end + needed - startSeen > RingBytes)
            {
                startSeen = Volatile.Read(ref ring.Positions.Start);
            }

            if (at + frame > RingBytes)
            {
                MemoryMarshal.Write(bytes.AsSpan(at), -1);
                end += RingBytes - at;
                at = 0;
            }

            MemoryMarshal.Write(bytes.AsSpan(at), payload.Length);
            payload.CopyTo(bytes.AsSpan(at + 8));
            end += frame;
            if (locked)
            {
                Interlocked.Exchange(ref ring.Positions.End, end);
            }
            else if ((i + 1) % publishEvery == 0 || i + 1 == count)
            {
                Volatile.Write(ref ring.Positions.End, end);
            }
        }
    }

    private static void ConsumeBytes(ByteRing ring, int count, bool locked)
    {
        var bytes = ring.Bytes;
        var pool = new Stack<PooledMessage>();
        for (int i = 0; i < CacheSize; i++)
        {
            pool.Push(new PooledMessage());
        }

        long start = 0;
        int received = 0;
        while (received < count)
        {
            long end = Volatile.Read(ref ring.Positions.End);
            if (end == start)
            {
                Thread.SpinWait(1);
                continue;
            }

            while (start < end)
            {
                int at = (int)(start & (RingBytes - 1));
                int length = MemoryMarshal.Read<int>(bytes.AsSpan(at));
                if (length < 0)
                {
                    start += RingBytes - at;
                    continue;
                }

                // Decode into a message of this thread's own pool, read it, give it back.
                var message = pool.Pop();
                bytes.AsSpan(at + 8, length).CopyTo(message.Buffer);
                message.Length = length;
                pool.Push(message);
                long next = start + 8 + ((length + 7) & ~7);
                if (locked)
                {
                    Interlocked.CompareExchange(ref ring.Positions.Start, next, start);
                }

                start = next;
                received++;
            }

            Volatile.Write(ref ring.Positions.Start, start);
        }
    }

    private static void RunObjects(byte[] payload, int count, bool consumerWrites)
    {
        var slots = new PooledMessage?[Slots];
        var positions = new ByteRing.Padded();
        var full = new ConcurrentQueue<PooledMessage[]>();
        for (int i = 0; i < 8; i++)
        {
            var cache = new PooledMessage[CacheSize];
            for (int j = 0; j < CacheSize; j++)
            {
                cache[j] = new PooledMessage();
            }

            full.Enqueue(cache);
        }

        var consumer = new Thread(() =>
        {
            long start = 0;
            var cache = new PooledMessage[CacheSize];
            int cached = 0;
            for (int received = 0; received < count; received++)
            {
                while (Volatile.Read(ref positions.End) == start)
                {
                    Thread.SpinWait(1);
                }

                var message = slots[start & (Slots - 1)]!;
                GC.KeepAlive(message.Length);
                if (consumerWrites)
                {
                    message.Length = 0;
                    message.RefCount = 0;
                }

                start++;
                Volatile.Write(ref positions.Start, start);
                cache[cached++] = message;
                if (cached == CacheSize)
                {
                    full.Enqueue(cache);
                    cache = new PooledMessage[CacheSize];
                    cached = 0;
                }
            }
        })
        { IsBackground = true, Name = "designs consumer" };
        consumer.Start();

        PooledMessage[] local = [];
        int left = 0;
        long end = 0;
        long startSeen = 0;
        for (int i = 0; i < count; i++)
        {
            if (left == 0)
            {
                while (!full.TryDequeue(out local!))
                {
                    Thread.SpinWait(1);
                }

                left = CacheSize;
            }

            var message = local[--left];
            message.Length = payload.Length;
            message.RefCount = 1;
            payload.CopyTo(message.Buffer, 0);
            while (end - startSeen >= Slots)
            {
                startSeen = Volatile.Read(ref positions.Start);
            }

            slots[end & (Slots - 1)] = message;
            end++;
            Volatile.Write(ref positions.End, end);
        }

        consumer.Join();
    }

    private sealed class PooledMessage
    {
        public readonly byte[] Buffer = new byte[4096];
        public int Length;
        public int RefCount;

        // A cache line of nothing, as Message has, so neighbours in the heap do not share a line.
#pragma warning disable CS0169 // Never read: it only takes room.
        private Line _pad;
#pragma warning restore CS0169

        [System.Runtime.CompilerServices.InlineArray(8)]
        private struct Line
        {
            private long _element;
        }
    }

    private sealed class ByteRing
    {
        public readonly byte[] Bytes = new byte[RingBytes];
        public Padded Positions;

        // Start (the consumer's) and end (the producer's) on cache lines of their own.
        [StructLayout(LayoutKind.Explicit, Size = 3 * 64)]
        public struct Padded
        {
            [FieldOffset(64)]
            public long Start;

            [FieldOffset(128)]
            public long End;
        }
    }
}
