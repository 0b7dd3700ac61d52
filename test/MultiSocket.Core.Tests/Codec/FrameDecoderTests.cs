using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Codec;

/// <summary>The stateful decoder: any segment or read boundary, streaming content, and every kind of bad frame.</summary>
public class FrameDecoderTests
{
    private const uint PipeId = 5;

    /// <summary>Several frames back to back (as on a connection): every wire vector plus a long-path frame.</summary>
    private static byte[] Stream()
    {
        var frames = WireVectorTests.Vectors.Select(v => WireVectors.Load(v.Name)).ToList();
        using var longPath = Message.Create("long path"u8, SendType.ToDestination, 9);
        longPath.Source = new MessagePath(1, 2, 3, 4, 5, 6);
        longPath.Destination = new MessagePath(7, 8, 9, 10, 11);
        frames.Add(FrameEncoder.ToArray(longPath));
        return frames.SelectMany(f => f).ToArray();
    }

    private static List<string> DecodeAll(ReadOnlySequence<byte> buffer)
    {
        using var decoder = new FrameDecoder(PipeId, 0);
        var seen = new List<string>();
        while (decoder.TryDecode(ref buffer, out var message))
        {
            using (message)
            {
                seen.Add(Describe(message));
            }
        }

        decoder.Complete(buffer);
        return seen;
    }

    private static string Describe(Message m) =>
        $"{m.SendType} {m.Flags} ttl={m.Ttl} src={m.Source} dst={m.Destination} {Convert.ToHexString(m.Content.Span)}";

    [Test]
    public void DecodesTheSameAtEverySegmentBoundary()
    {
        var bytes = Stream();
        var expected = DecodeAll(new ReadOnlySequence<byte>(bytes));
        Assert.That(expected, Has.Count.EqualTo(WireVectorTests.Vectors.Length + 1));
        for (int at = 0; at <= bytes.Length; at++)
        {
            Assert.That(DecodeAll(SequenceBuilder.SplitAt(bytes, at)), Is.EqualTo(expected), $"split at {at}");
        }
    }

    [Test]
    public void DecodesOneByteSegments()
    {
        var bytes = Stream();
        Assert.That(DecodeAll(SequenceBuilder.OneBytePerSegment(bytes)), Is.EqualTo(DecodeAll(new ReadOnlySequence<byte>(bytes))));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(7)]
    [TestCase(64)]
    public void DecodesAcrossSeveralReads(int chunk)
    {
        // Like a pipe's read loop: bytes arrive a few at a time; what the decoder leaves is presented again with more.
        var bytes = Stream();
        using var decoder = new FrameDecoder(PipeId, 0);
        var seen = new List<string>();
        var pending = Array.Empty<byte>();
        for (int at = 0; at < bytes.Length; at += chunk)
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, .. bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at))]);
            while (decoder.TryDecode(ref buffer, out var message))
            {
                using (message)
                {
                    seen.Add(Describe(message));
                }
            }

            pending = buffer.ToArray();
        }

        Assert.That(decoder.HasPartialFrame, Is.False);
        decoder.Complete(new ReadOnlySequence<byte>(pending));
        Assert.That(seen, Is.EqualTo(DecodeAll(new ReadOnlySequence<byte>(bytes))));
    }

    [Test]
    public void StreamsContentAsItArrives()
    {
        var content = new byte[100_000];
        new Random(1).NextBytes(content);
        using var message = Message.Create(content);
        var frame = FrameEncoder.ToArray(message);
        using var decoder = new FrameDecoder(PipeId, 0);

        var head = new ReadOnlySequence<byte>(frame.AsMemory(0, FrameHeader.Size + 10));
        Assert.That(decoder.TryDecode(ref head, out _), Is.False);
        Assert.That(head.Length, Is.Zero, "content bytes are taken as they arrive, not left in the input");
        Assert.That(decoder.HasPartialFrame, Is.True);

        var middle = new ReadOnlySequence<byte>(frame.AsMemory(FrameHeader.Size + 10, 50_000));
        Assert.That(decoder.TryDecode(ref middle, out _), Is.False);
        Assert.That(middle.Length, Is.Zero);

        var tail = new ReadOnlySequence<byte>(frame.AsMemory(FrameHeader.Size + 10 + 50_000));
        Assert.That(decoder.TryDecode(ref tail, out var decoded), Is.True);
        using (decoded)
        {
            Assert.That(decoded!.Content.ToArray(), Is.EqualTo(content));
        }

        Assert.That(decoder.HasPartialFrame, Is.False);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task FrameLargerThanThePipeBufferDoesNotStall()
    {
        // The pipe pauses its writer at 64 KiB: a decoder that waited for the whole 1 MiB frame would deadlock.
        var pipe = new System.IO.Pipelines.Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, minimumSegmentSize: 4096));
        var content = new byte[1024 * 1024];
        new Random(2).NextBytes(content);
        using var original = Message.Create(content);
        var frame = FrameEncoder.ToArray(original);

        var writing = Task.Run(async () =>
        {
            for (int at = 0; at < frame.Length; at += 16 * 1024)
            {
                await pipe.Writer.WriteAsync(frame.AsMemory(at, Math.Min(16 * 1024, frame.Length - at)));
            }

            await pipe.Writer.CompleteAsync();
        });

        using var decoder = new FrameDecoder(PipeId, 0);
        Message? decoded = null;
        while (true)
        {
            var result = await pipe.Reader.ReadAsync(Wait.Token());
            var buffer = result.Buffer;
            if (decoded is null && decoder.TryDecode(ref buffer, out var message))
            {
                decoded = message;
            }

            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                decoder.Complete(buffer.Slice(buffer.End));
                break;
            }
        }

        await Wait.ForAsync(writing, "the writer");
        Assert.That(decoded, Is.Not.Null);
        using (decoded)
        {
            Assert.That(decoded!.Content.ToArray(), Is.EqualTo(content));
        }
    }

    private static byte[] Frame(byte flags, byte ttl, byte hops, byte distance, uint length, int pathAndContentBytes)
    {
        var frame = new byte[FrameHeader.Size + pathAndContentBytes];
        new FrameHeader(flags, ttl, hops, distance, length).WriteTo(frame);
        for (int i = FrameHeader.Size; i < frame.Length; i++)
        {
            frame[i] = 1; // path ids of 0x01010101, content of 0x01
        }

        return frame;
    }

    public static IEnumerable<TestCaseData> BadFrames()
    {
        yield return new TestCaseData(Frame(0, 16, 0, 0, 1025, 1025), FrameError.ContentTooLong).SetName("content over the limit");
        yield return new TestCaseData(Frame(0, 16, 0, 0, uint.MaxValue, 0), FrameError.ContentTooLong).SetName("content length 0xFFFFFFFF");
        yield return new TestCaseData(Frame(3, 16, 0, 0, 2, 2), FrameError.InvalidSendType).SetName("send type 3");
        yield return new TestCaseData(Frame(2, 16, 0, 0, 2, 2), FrameError.InvalidPath).SetName("to destination without a destination");
        yield return new TestCaseData(Frame(0, 16, 0, 1, 2, 6), FrameError.InvalidPath).SetName("to one with a destination");
        yield return new TestCaseData(Frame(1, 16, 1, 2, 2, 14), FrameError.InvalidPath).SetName("to all with a destination");
        yield return new TestCaseData(Frame(0, 16, 255, 0, 0, 255 * 4), FrameError.InvalidPath).SetName("hops 255");
    }

    [TestCaseSource(nameof(BadFrames))]
    public void BadFrameRaisesItsError(byte[] frame, FrameError error)
    {
        using var decoder = new FrameDecoder(PipeId, 1024);
        var buffer = new ReadOnlySequence<byte>(frame);
        var ex = Assert.Throws<FrameException>(() => decoder.TryDecode(ref buffer, out _));
        Assert.That(ex!.Error, Is.EqualTo(error));
        Assert.That(ex.Message, Is.Not.Empty);
    }

    [TestCaseSource(nameof(BadFrames))]
    public void BadFrameIsDetectedFromItsHeaderAlone(byte[] frame, FrameError error)
    {
        // The header is enough to reject a frame: a huge length must not make the decoder wait for its bytes.
        using var decoder = new FrameDecoder(PipeId, 1024);
        var buffer = SequenceBuilder.OneBytePerSegment(frame[..FrameHeader.Size]);
        var ex = Assert.Throws<FrameException>(() => decoder.TryDecode(ref buffer, out _));
        Assert.That(ex!.Error, Is.EqualTo(error));
    }

    [Test]
    public void ContentAtTheLimitIsAccepted()
    {
        using var decoder = new FrameDecoder(PipeId, 1024);
        var buffer = new ReadOnlySequence<byte>(Frame(0, 16, 0, 0, 1024, 1024));
        Assert.That(decoder.TryDecode(ref buffer, out var message), Is.True);
        using (message)
        {
            Assert.That(message!.Length, Is.EqualTo(1024));
        }
    }

    [Test]
    public void HopsBelow255AreAccepted()
    {
        using var decoder = new FrameDecoder(PipeId, 0);
        var buffer = new ReadOnlySequence<byte>(Frame(0, 16, 254, 0, 0, 254 * 4));
        Assert.That(decoder.TryDecode(ref buffer, out var message), Is.True);
        using (message)
        {
            Assert.That(message!.Hops, Is.EqualTo(255));
            Assert.That(message.Source.First, Is.EqualTo(PipeId));
            Assert.That(message.Source[254], Is.EqualTo(0x01010101u));
        }
    }

    public static IEnumerable<TestCaseData> TruncatedStreams()
    {
        var hi = WireVectors.Load("tcp_send_hi");
        var reply = WireVectors.Load("tcp_switch_reply_out");
        yield return new TestCaseData(hi[..3]).SetName("inside the header");
        yield return new TestCaseData(reply[..(FrameHeader.Size + 5)]).SetName("inside the paths (hops/distance promise more than the data)");
        yield return new TestCaseData(hi[..^1]).SetName("inside the content");
        yield return new TestCaseData(hi.Concat(hi[..^1]).ToArray()).SetName("inside the second frame");
    }

    [TestCaseSource(nameof(TruncatedStreams))]
    public void StreamEndingMidFrameIsTruncated(byte[] bytes)
    {
        using var decoder = new FrameDecoder(PipeId, 0);
        var buffer = new ReadOnlySequence<byte>(bytes);
        while (decoder.TryDecode(ref buffer, out var message))
        {
            message.Dispose();
        }

        var ex = Assert.Throws<FrameException>(() => decoder.Complete(buffer));
        Assert.That(ex!.Error, Is.EqualTo(FrameError.Truncated));
    }

    [Test]
    public void StreamEndingBetweenFramesIsFine()
    {
        using var decoder = new FrameDecoder(PipeId, 0);
        var buffer = new ReadOnlySequence<byte>(WireVectors.Load("tcp_send_hi"));
        Assert.That(decoder.TryDecode(ref buffer, out var message), Is.True);
        message!.Dispose();
        Assert.DoesNotThrow(() => decoder.Complete(buffer));
    }

    [Test]
    public void PipeIdZeroIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameDecoder(0, 0));

    [Test]
    public void TtlZeroStaysZero()
    {
        var frame = WireVectors.Load("tcp_send_hi");
        frame[1] = 0;
        using var message = WireVectors.DecodeOne(frame, PipeId);
        Assert.That(message.Ttl, Is.Zero);
    }

    [Test]
    public void FlagBitsAboveTheSendTypeAreKept()
    {
        var frame = WireVectors.Load("tcp_send_all");
        frame[0] |= (byte)(MessageFlags.Control | MessageFlags.Protocol2);
        using var message = WireVectors.DecodeOne(frame, PipeId);
        Assert.That(message.SendType, Is.EqualTo(SendType.ToAll));
        Assert.That(message.Flags, Is.EqualTo(MessageFlags.Control | MessageFlags.Protocol2));
        Assert.That(FrameHeader.For(message).FlagsByte, Is.EqualTo(frame[0]));
    }

    [Test]
    public void HeaderLengthIsBigEndian()
    {
        var frame = WireVectors.Load("tcp_send_300");
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(4)), Is.EqualTo(300u));
        Assert.That(FrameHeader.Read(frame).Length, Is.EqualTo(300u));
        Assert.Throws<ArgumentException>(() => FrameHeader.Read(frame.AsSpan(0, 7)));
    }
}
