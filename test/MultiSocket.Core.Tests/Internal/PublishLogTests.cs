using System.Buffers;
using System.Buffers.Binary;
using MultiSocket.Internal;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Internal;

/// <summary>
/// A best-effort socket's publish log (Internal/PublishLog.cs): readers copy whole frames in order, an overtaken
/// reader skips to a frame boundary, every lost frame is counted once (by the sender as it overwrites, or by the reader
/// as it skips), marks split the log for queued messages, a removed reader ends where the log ended, and a concurrent
/// sender never tears a frame that a reader commits.
/// </summary>
[CancelAfter(60_000)]
public class PublishLogTests
{
    // Content: the frame's number and its complement, so a frame mixed from two is seen.
    private static Message Numbered(long number)
    {
        Span<byte> content = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(content, number);
        BinaryPrimitives.WriteInt64LittleEndian(content[8..], ~number);
        return Message.Create(content, SendType.ToAll);
    }

    private static void Append(PublishLog log, long from, long to)
    {
        for (long i = from; i < to; i++)
        {
            using var message = Numbered(i);
            Assert.That(log.TryAppend(message), Is.True);
        }
    }

    /// <summary>Decodes what a reader copied: only whole, intact frames, or the test fails.</summary>
    private static List<long> Decode(ArrayBufferWriter<byte> copied)
    {
        var numbers = new List<long>();
        var buffer = new ReadOnlySequence<byte>(copied.WrittenMemory);
        using var decoder = new FrameDecoder(1, 1024);
        while (decoder.TryDecode(ref buffer, out var message))
        {
            using (message)
            {
                var content = message.Content.Span;
                Assert.That(content.Length, Is.EqualTo(16), "a frame's content");
                long number = BinaryPrimitives.ReadInt64LittleEndian(content);
                Assert.That(BinaryPrimitives.ReadInt64LittleEndian(content[8..]), Is.EqualTo(~number), "a torn frame");
                numbers.Add(number);
            }
        }

        Assert.That(buffer.Length, Is.Zero, "bytes of a partial frame were committed");
        copied.Clear();
        return numbers;
    }

    private static List<long> CopyAll(PublishLog.Reader reader, PublishLog.LogMark? until = null)
    {
        var output = new ArrayBufferWriter<byte>();
        reader.CopyTo(output, int.MaxValue, until ?? PublishLog.LogMark.End);
        return Decode(output);
    }

    private static PublishLog.Reader AddReader(PublishLog log, out SocketStatistics statistics)
    {
        statistics = new SocketStatistics();
        return log.AddReader(new SendQueue(16), statistics.OnDropped);
    }

    private static IEnumerable<long> Range(long from, long to) => Enumerable.Range((int)from, (int)(to - from)).Select(i => (long)i);

    [Test]
    public void AReaderCopiesEveryFrameInOrder()
    {
        var log = new PublishLog(256);
        var reader = AddReader(log, out var statistics);
        Append(log, 0, 1000);

        Assert.That(reader.HasData, Is.True);
        Assert.That(CopyAll(reader), Is.EqualTo(Range(0, 1000)));
        Assert.That(statistics.Dropped, Is.Zero);
        Assert.That(reader.HasData, Is.False);

        Append(log, 1000, 1010);
        Assert.That(CopyAll(reader), Is.EqualTo(Range(1000, 1010)));
    }

    [Test]
    public void AnOvertakenReaderResumesAtAFrameAndCountsWhatItLost()
    {
        // Four frames a chunk (twice the queue size), eight chunks: 100 frames overtake a reader that copied none.
        var log = new PublishLog(2);
        var reader = AddReader(log, out var statistics);
        Append(log, 0, 100);

        // The sender counts what it overwrote as it goes, before the reader copies anything: 25 chunks were started,
        // the last 17 in reused ones, each losing four frames.
        Assert.That(statistics.Dropped, Is.EqualTo(17 * 4));
        var copied = CopyAll(reader);
        Assert.That(copied, Is.Not.Empty);
        Assert.That(copied[^1], Is.EqualTo(99), "the newest frame is kept");
        Assert.That(copied, Is.EqualTo(Range(copied[0], 100)), "a run of whole frames");
        Assert.That(statistics.Dropped, Is.EqualTo(copied[0]), "every frame before the run is counted once");
        Assert.That(copied.Count, Is.LessThanOrEqualTo(8 * 4));
    }

    // Mid-chunk, and at a chunk's end (four frames a chunk): the frames after the mark are in the next chunk.
    [TestCase(256, 10)]
    [TestCase(2, 4)]
    public void AMarkSplitsTheLogForAQueuedMessage(int queueSize, int before)
    {
        var log = new PublishLog(queueSize);
        var reader = AddReader(log, out var statistics);
        Append(log, 0, before);
        var mark = log.Mark();
        Assert.That(mark.Frame, Is.EqualTo(before));
        Append(log, before, before + 10);

        Assert.That(CopyAll(reader, until: mark), Is.EqualTo(Range(0, before)));
        Assert.That(reader.Position, Is.GreaterThanOrEqualTo(mark.Position), "at the mark, or past a chunk that ended there");
        Assert.That(CopyAll(reader, until: mark), Is.Empty);
        Assert.That(CopyAll(reader), Is.EqualTo(Range(before, before + 10)));
    }

    [Test]
    public void ANewReaderStartsAtTheEndAndARemovedOneEndsThere()
    {
        var log = new PublishLog(256);
        Append(log, 0, 5);
        var reader = AddReader(log, out var statistics);
        Append(log, 5, 10);
        log.RemoveReader(reader);
        Append(log, 10, 15);
        log.RemoveReader(reader);

        Assert.That(CopyAll(reader), Is.EqualTo(Range(5, 10)));
        Assert.That(reader.HasData, Is.False);
        Assert.That(log.HasReaders, Is.False);
    }

    [Test]
    public void FramesLargerThanAChunkAreLeftToTheQueues()
    {
        var log = new PublishLog(256);
        var reader = AddReader(log, out var statistics);
        using var large = Message.Create(PublishLog.ChunkSize, SendType.ToAll);
        Assert.That(log.TryAppend(large), Is.False);
        Assert.That(reader.HasData, Is.False);
    }

    [Test]
    public void AnOvertakenReaderNeverCopiesPastTheMarkItWasGiven()
    {
        // Four frames a chunk, eight chunks. The reader copied nothing; a message was queued after frame 9; then the
        // sender went on until the reader was overtaken. Copying up to the message's mark skips to a chunk past the
        // mark: nothing after the mark may be copied (the chunk it landed on was, before the fix).
        var log = new PublishLog(2);
        var reader = AddReader(log, out var statistics);
        Append(log, 0, 10);
        var mark = log.Mark();
        Append(log, 10, 40);

        var copied = CopyAll(reader, mark);
        Assert.That(copied.Where(n => n >= 10), Is.Empty, "frames logged after the queued message");
        Assert.That(reader.HasPassed(mark), Is.True, "the queued message may go out now");
        Assert.That(CopyAll(reader), Is.Not.Empty.And.All.GreaterThanOrEqualTo(10), "the rest, after it");
    }

    [Test]
    public void AnAppendForAnOlderSetOfReadersIsRefused()
    {
        var log = new PublishLog(256);
        var first = AddReader(log, out _);
        long version = log.ReadersVersion;
        using (var message = Numbered(0))
        {
            Assert.That(log.TryAppend(message, version, withinQueue: false), Is.True);
        }

        var second = AddReader(log, out _);
        Assert.That(log.ReadersVersion, Is.Not.EqualTo(version));
        using (var message = Numbered(1))
        {
            Assert.That(log.TryAppend(message, version, withinQueue: false), Is.False, "a reader was added since");
            Assert.That(log.TryAppend(message, log.ReadersVersion, withinQueue: false), Is.True);
        }

        Assert.That(CopyAll(first), Is.EqualTo(new long[] { 0, 1 }));
        Assert.That(CopyAll(second), Is.EqualTo(new long[] { 1 }), "only what was appended for it");
    }

    [TestCase(64, 3072)]
    [TestCase(256, 768)]
    [TestCase(1, PublishLog.ChunkSize)]
    public void WithinAQueueOnlyFramesOfWhichTheLogHoldsAQueuesWorthAreLogged(int queueSize, int limit)
    {
        var log = new PublishLog(queueSize);
        AddReader(log, out _);

        // A frame is its header and the content.
        int header;
        using (var empty = Message.Create(0, SendType.ToAll))
        {
            header = FrameEncoder.GetFrameSize(empty);
        }

        using var fits = Message.Create(limit - header, SendType.ToAll);
        using var over = Message.Create(limit - header + 1, SendType.ToAll);
        Assert.That(FrameEncoder.GetFrameSize(fits), Is.EqualTo(limit));
        Assert.That(log.TryAppend(fits, -1, withinQueue: true), Is.True);
        Assert.That(log.TryAppend(over, -1, withinQueue: true), Is.False);
        Assert.That(log.TryAppend(over, -1, withinQueue: false), Is.EqualTo(limit < PublishLog.ChunkSize), "a chunk's limit only");
    }

    [Test]
    public void AReadersLossesGoToItsOwnCounter()
    {
        var log = new PublishLog(2);
        long lost = 0;
        var reader = log.AddReader(new SendQueue(16), n => lost += n);
        Append(log, 0, 4 * 8 + 1);
        Assert.That(lost, Is.EqualTo(4), "the first chunk's frames, overwritten by the sender");
        var copied = CopyAll(reader);
        Assert.That(copied, Is.EqualTo(Range(copied[0], 33)), "a run of whole frames up to the newest");
        Assert.That(lost, Is.EqualTo(copied[0]), "the frames skipped as well, each once");
    }

    [Test]
    public async Task AnAppendWakesAWaitingWriteLoop()
    {
        var log = new PublishLog(256);
        var queue = new SendQueue(16);
        queue.LogReader = log.AddReader(queue, new SocketStatistics().OnDropped);
        var wait = queue.WaitToReadAsync().AsTask();
        Assert.That(wait.IsCompleted, Is.False);

        Append(log, 0, 1);
        Assert.That(await wait.WaitAsync(Wait.Timeout), Is.True);
        Assert.That(await queue.WaitToReadAsync(), Is.True, "the frame is still there to copy");
    }

    [Test]
    public async Task AConcurrentSenderNeverTearsACommittedFrame()
    {
        // A small log (two frames a chunk) so that the sender overtakes the reader all the time, also mid-copy.
        const long Frames = 300_000;
        var log = new PublishLog(1);
        var reader = AddReader(log, out var statistics);
        var sender = Task.Run(() => Append(log, 0, Frames));

        var output = new ArrayBufferWriter<byte>();
        long last = -1;
        long received = 0;
        while (true)
        {
            bool done = sender.IsCompleted;
            reader.CopyTo(output, 64 * 1024, PublishLog.LogMark.End);
            foreach (long number in Decode(output))
            {
                Assert.That(number, Is.GreaterThan(last), "frames in order");
                last = number;
                received++;
            }

            if (done && !reader.HasData)
            {
                break;
            }
        }

        await sender;
        Assert.That(last, Is.EqualTo(Frames - 1), "the newest frame arrives");
        Assert.That(received + statistics.Dropped, Is.EqualTo(Frames), "every frame copied or counted as dropped, once");
    }
}
