using System.Buffers;
using System.Buffers.Binary;
using MultiSocket.Core.Tests.Codec;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Receiver;

/// <summary>
/// Receive batches (Receiver/ReceiveBatch.cs): a byte-stream pipe queues each run of small whole frames as one entry,
/// and consumers decode it. Which frames go into a batch, that a batch decodes what the decoder would, that a consumer
/// holding an old look at a reused batch cannot take from it, and that over real connections every message arrives
/// once, in order, whatever the read boundaries and however many consumers.
/// </summary>
[CancelAfter(60_000)]
public class ReceiveBatchTests
{
    private const uint PipeId = 7;

    private static byte[] Frame(int contentLength, byte fill = 0x61, SendType sendType = SendType.ToOne)
    {
        using var message = Message.Create(contentLength, sendType);
        message.WritableContent.Span.Fill(fill);
        message.Source = new MessagePath(3, 4);
        if (sendType == SendType.ToDestination)
        {
            message.Destination = new MessagePath(11, 12, 13);
        }

        return FrameEncoder.ToArray(message);
    }

    private static string Describe(Message m) =>
        $"{m.SendType} {m.Flags} ttl={m.Ttl} src={m.Source} dst={m.Destination} {Convert.ToHexString(m.Content.Span)}";

    [Test]
    public void WholeFramesLengthIsTheRunOfWholeFramesAtEverySegmentBoundary()
    {
        byte[][] whole = [Frame(0), Frame(64, 1), Frame(100, 2, SendType.ToDestination), Frame(3000, 3)];
        var cut = Frame(50, 4)[..30];
        byte[] bytes = [.. whole.SelectMany(f => f), .. cut];
        long expected = whole.Sum(f => f.Length);
        using var decoder = new FrameDecoder(PipeId, 0);
        for (int at = 0; at <= bytes.Length; at++)
        {
            var buffer = SequenceBuilder.SplitAt(bytes, at);
            Assert.That(
                decoder.WholeFramesLength(buffer, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.EqualTo(expected), $"split at {at}");
        }

        Assert.That(
            decoder.WholeFramesLength(SequenceBuilder.OneBytePerSegment(bytes), ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit),
            Is.EqualTo(expected),
            "one byte per segment");
    }

    [Test]
    public void ALoneFrameIsNotARun()
    {
        var frame = Frame(10);
        using var decoder = new FrameDecoder(PipeId, 0);
        var one = new ReadOnlySequence<byte>([.. frame, .. Frame(ReceiveBatch.FrameLimit)]);
        Assert.That(decoder.WholeFramesLength(one, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit, ReceiveBatch.MinFrames), Is.Zero);
        Assert.That(decoder.WholeFramesLength(one, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.EqualTo(frame.Length));
        var two = new ReadOnlySequence<byte>([.. frame, .. frame]);
        Assert.That(decoder.WholeFramesLength(two, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit, ReceiveBatch.MinFrames), Is.EqualTo(2 * frame.Length));
    }

    [Test]
    public void WholeFramesLengthStopsAtAFrameOverTheFrameLimit()
    {
        var small = Frame(10);
        var large = Frame(ReceiveBatch.FrameLimit);
        using var decoder = new FrameDecoder(PipeId, 0);
        Assert.That(decoder.WholeFramesLength(new ReadOnlySequence<byte>([.. small, .. large, .. small]), ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.EqualTo(small.Length));
        Assert.That(decoder.WholeFramesLength(new ReadOnlySequence<byte>([.. large, .. small]), ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.Zero);
    }

    [Test]
    public void WholeFramesLengthStopsAtAnInvalidFrameWhichTheDecoderThenRefuses()
    {
        var good = Frame(10);
        var bad = new byte[FrameHeader.Size + 2];
        new FrameHeader(3, 16, 0, 0, 2).WriteTo(bad);   // send type 3
        using var decoder = new FrameDecoder(PipeId, 0);
        var buffer = new ReadOnlySequence<byte>([.. good, .. bad, .. good]);
        Assert.That(decoder.WholeFramesLength(buffer, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.EqualTo(good.Length));

        var rest = buffer.Slice(good.Length);
        Assert.That(decoder.WholeFramesLength(rest, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.Zero);
        Assert.That(
            () => decoder.TryDecode(ref rest, out _),
            Throws.TypeOf<FrameException>().With.Property(nameof(FrameException.Error)).EqualTo(FrameError.InvalidSendType));
    }

    [Test]
    public void WholeFramesLengthRespectsTheReceiveLimit()
    {
        var small = Frame(10);
        var overLimit = Frame(200);
        using var decoder = new FrameDecoder(PipeId, maxContentLength: 100);
        Assert.That(decoder.WholeFramesLength(new ReadOnlySequence<byte>([.. small, .. overLimit]), ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.EqualTo(small.Length));
    }

    [Test]
    public void WholeFramesLengthStaysWithinTheByteLimit([Values(0, 1)] int segmentBoundaryAtTheLimit)
    {
        var frame = Frame(1000);
        var bytes = Enumerable.Repeat(frame, 100).SelectMany(f => f).ToArray();
        int frames = ReceiveBatch.ByteLimit / frame.Length;
        Assume.That(ReceiveBatch.ByteLimit % frame.Length, Is.Not.Zero);

        // In one segment, and with the frame that would cross the limit split between two segments.
        var buffer = segmentBoundaryAtTheLimit == 0
            ? new ReadOnlySequence<byte>(bytes)
            : SequenceBuilder.SplitAt(bytes, (frames * frame.Length) + 10);
        using var decoder = new FrameDecoder(PipeId, 0);
        Assert.That(decoder.WholeFramesLength(buffer, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.EqualTo((long)frames * frame.Length));
        Assert.That(decoder.WholeFramesLength(buffer, ReceiveBatch.FrameLimit, limit: 10), Is.EqualTo(frame.Length), "one frame at least");
    }

    [Test]
    public void WholeFramesLengthIsZeroWhileAFrameIsPartWay()
    {
        using var decoder = new FrameDecoder(PipeId, 0);
        var start = new ReadOnlySequence<byte>(Frame(100)[..40]);
        Assert.That(decoder.TryDecode(ref start, out _), Is.False);
        Assert.That(decoder.HasPartialFrame, Is.True);
        Assert.That(decoder.WholeFramesLength(new ReadOnlySequence<byte>(Frame(10)), ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit), Is.Zero);
    }

    [Test]
    public void ABatchDecodesWhatTheDecoderWould()
    {
        byte[][] frames = [Frame(0), Frame(64, 1), Frame(100, 2, SendType.ToDestination), Frame(3000, 3), Frame(1, 4, SendType.ToAll)];
        byte[] bytes = [.. frames.SelectMany(f => f)];

        var expected = new List<string>();
        using (var decoder = new FrameDecoder(PipeId, 0))
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            while (decoder.TryDecode(ref buffer, out var message))
            {
                using (message)
                {
                    expected.Add(Describe(message));
                }
            }
        }

        var batch = ReceiveBatch.Open(PipeId, SequenceBuilder.SplitAt(bytes, 77));
        int generation = batch.Generation;
        var seen = new List<string>();
        var outcomes = new List<ReceiveBatch.Take>();
        while (true)
        {
            var take = batch.TryTake(generation, out var message);
            outcomes.Add(take);
            Assert.That(message, Is.Not.Null);
            using (message)
            {
                seen.Add(Describe(message!));
            }

            if (take == ReceiveBatch.Take.Last)
            {
                batch.Finish();
                break;
            }
        }

        Assert.That(seen, Is.EqualTo(expected));
        Assert.That(seen[0], Does.Contain($"src=[{PipeId} 3 4]"), "the pipe's id goes first in the source path");
        Assert.That(outcomes, Is.EqualTo(Enumerable.Repeat(ReceiveBatch.Take.Message, frames.Length - 1).Append(ReceiveBatch.Take.Last)));
    }

    [Test]
    public void AConsumerThatLookedAtAnEarlierOpeningCannotTakeFromTheNext()
    {
        var batch = ReceiveBatch.Open(PipeId, new ReadOnlySequence<byte>(Frame(5)));
        int first = batch.Generation;
        Assert.That(batch.TryTake(first, out var only), Is.EqualTo(ReceiveBatch.Take.Last));
        only!.Dispose();
        batch.Finish();

        // The pool hands the same object back on this thread (its cache is last in, first out).
        var again = ReceiveBatch.Open(PipeId, new ReadOnlySequence<byte>([.. Frame(6), .. Frame(7)]));
        Assert.That(again, Is.SameAs(batch));
        Assert.That(again.Generation, Is.Not.EqualTo(first));
        Assert.That(batch.TryTake(first, out var stale), Is.EqualTo(ReceiveBatch.Take.Stale));
        Assert.That(stale, Is.Null);

        Assert.That(again.TryTake(again.Generation, out var next), Is.EqualTo(ReceiveBatch.Take.Message));
        Assert.That(next!.Length, Is.EqualTo(6));
        next.Dispose();
        Assert.That(again.TryTake(again.Generation, out var last), Is.EqualTo(ReceiveBatch.Take.Last));
        Assert.That(last!.Length, Is.EqualTo(7));
        last.Dispose();
        again.Finish();
    }

    /// <summary>A message whose content says who sent it and its number, padded to <paramref name="length"/> bytes.</summary>
    private static Message Numbered(int sender, int number, int length)
    {
        var message = Message.Create(Math.Max(length, 8));
        var span = message.WritableContent.Span;
        span.Fill((byte)number);
        BinaryPrimitives.WriteInt32LittleEndian(span, sender);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], number);
        return message;
    }

    private static (int Sender, int Number) Read(Message message) =>
        (BinaryPrimitives.ReadInt32LittleEndian(message.Content.Span), BinaryPrimitives.ReadInt32LittleEndian(message.Content.Span[4..]));

    // Mostly small frames (batched), some over the frame limit and some over the segment size (decoded by the read loop).
    private static int SizeOf(Random random) => random.Next(20) switch
    {
        0 => random.Next(ReceiveBatch.FrameLimit, 40_000),
        1 => random.Next(1_000, ReceiveBatch.FrameLimit),
        _ => random.Next(8, 200),
    };

    [Test]
    public async Task OneConsumerGetsEveryMessageInOrderWhateverTheReadBoundaries()
    {
        const int Count = 3000;
        await using var server = new Socket();
        var address = await server.ListenOnAsync("tcp");
        using var client = await RawTcp.ConnectAsync(address);
        client.NoDelay = true;

        // Frames written in pieces of random sizes, so that reads end anywhere: inside headers, paths and content.
        var random = new Random(20261127);
        var sizes = new int[Count];
        var stream = new List<byte>();
        for (int i = 0; i < Count; i++)
        {
            sizes[i] = SizeOf(random);
            using var message = Numbered(1, i, sizes[i]);
            stream.AddRange(FrameEncoder.ToArray(message));
        }

        var bytes = stream.ToArray();
        var writing = Task.Run(async () =>
        {
            for (int at = 0; at < bytes.Length;)
            {
                int piece = Math.Min(bytes.Length - at, random.Next(1, 9000));
                await client.GetStream().WriteAsync(bytes.AsMemory(at, piece));
                at += piece;
            }
        });

        for (int i = 0; i < Count; i++)
        {
            using var message = await server.ReceiveAsync(Wait.Token());
            Assert.That(Read(message), Is.EqualTo((1, i)), $"message {i}");
            Assert.That(message.Length, Is.EqualTo(Math.Max(sizes[i], 8)), $"length of message {i}");
            Assert.That(message.Content.Span[8..].ToArray(), Is.All.EqualTo((byte)i), $"content of message {i}");
        }

        await writing;
    }

    [Test]
    public async Task SeveralConsumersGetEveryMessageOnceAndEachPipesMessagesInOrder([Values("tcp", "ipc")] string transport)
    {
        const int Senders = 3;
        const int PerSender = 2000;
        const int Consumers = 4;
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);

        using var done = new CancellationTokenSource();
        var received = Enumerable.Range(0, Consumers).Select(_ => new List<(int Sender, int Number)>()).ToArray();
        int total = 0;
        var consumers = Enumerable.Range(0, Consumers).Select(c => Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var message = await server.ReceiveAsync(done.Token);
                    var (sender, number) = Read(message);
                    received[c].Add((sender, number));
                    if (Interlocked.Increment(ref total) == Senders * PerSender)
                    {
                        done.Cancel();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        var clients = new List<Socket>();
        try
        {
            var sending = Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
            {
                var client = new Socket();
                lock (clients)
                {
                    clients.Add(client);
                }

                await client.DialAsync(address);
                var random = new Random(s);
                for (int i = 0; i < PerSender; i++)
                {
                    await client.SendMessageAsync(Numbered(s, i, SizeOf(random)));
                }
            })).ToArray();
            await Task.WhenAll(sending);
            await Wait.ForAsync(Task.WhenAll(consumers).ContinueWith(_ => true), "every message received");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        var all = received.SelectMany(r => r).ToList();
        Assert.That(all, Has.Count.EqualTo(Senders * PerSender));
        Assert.That(all.Distinct().Count(), Is.EqualTo(Senders * PerSender), "each message once");

        // What one consumer takes of one pipe's messages, it takes in the order they were sent: a batch stays at the
        // head of the queue until its last message is taken, so nothing queued after it can overtake it.
        for (int c = 0; c < Consumers; c++)
        {
            foreach (var sender in received[c].GroupBy(r => r.Sender))
            {
                var numbers = sender.Select(r => r.Number).ToList();
                Assert.That(numbers, Is.Ordered.Ascending, $"consumer {c}, sender {sender.Key}");
            }
        }

        Assert.That(received.Count(r => r.Count > 0), Is.GreaterThan(1), "more than one consumer took part");
    }
}
