using System.Buffers;
using System.IO.Pipelines;

namespace MultiSocket.Core.Tests.Codec;

/// <summary>The encoder writes the same bytes into any buffer writer, and round-trips through the decoder.</summary>
public class FrameEncoderTests
{
    public static IEnumerable<TestCaseData> Messages()
    {
        foreach (int size in new[] { 0, 1, 300, 16 * 1024 - 8, 16 * 1024, 16 * 1024 + 1, 100_000 })
        {
            yield return new TestCaseData(size, 0, 0).SetName($"to one, {size} bytes");
        }

        yield return new TestCaseData(10, 3, 0).SetName("short source path");
        yield return new TestCaseData(10, 7, 6).SetName("long paths");
        yield return new TestCaseData(40_000, 255, 255).SetName("longest paths, large content");
    }

    private static Message Build(int size, int hops, int distance)
    {
        var message = Message.Create(size, distance > 0 ? SendType.ToDestination : SendType.ToOne);
        new Random(size).NextBytes(message.WritableContent.Span);
        message.Ttl = 9;
        message.Flags = MessageFlags.Protocol1;
        message.Source = new MessagePath(Enumerable.Range(1, hops).Select(i => (uint)i * 0x01020304u).ToArray());
        message.Destination = new MessagePath(Enumerable.Range(1, distance).Select(i => (uint)i + 1000).ToArray());
        return message;
    }

    [TestCaseSource(nameof(Messages))]
    public async Task PipeWriterAndArrayBufferWriterGetIdenticalBytes(int size, int hops, int distance)
    {
        using var message = Build(size, hops, distance);
        var array = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(array, message);

        var pipe = new System.IO.Pipelines.Pipe(new PipeOptions(pauseWriterThreshold: 0, minimumSegmentSize: 4096));
        FrameEncoder.Write(pipe.Writer, message);
        await pipe.Writer.FlushAsync();
        await pipe.Writer.CompleteAsync();
        var read = await pipe.Reader.ReadAtLeastAsync(int.MaxValue);
        var fromPipe = read.Buffer.ToArray();
        pipe.Reader.AdvanceTo(read.Buffer.End);

        Assert.That(array.WrittenCount, Is.EqualTo(FrameEncoder.GetFrameSize(message)));
        Assert.That(fromPipe, Is.EqualTo(array.WrittenSpan.ToArray()));
        Assert.That(FrameEncoder.ToArray(message), Is.EqualTo(fromPipe));
    }

    [TestCaseSource(nameof(Messages))]
    public void EncodedFrameDecodesToTheMessage(int size, int hops, int distance)
    {
        using var message = Build(size, hops, distance);
        if (hops == MessagePath.MaxLength)
        {
            // A frame that has taken 255 hops cannot be received (the source path would overflow).
            message.Source = message.Source.RemoveFirst();
        }

        var bytes = FrameEncoder.ToArray(message);
        using var decoded = WireVectors.DecodeOne(bytes, pipeId: 42);
        Assert.Multiple(() =>
        {
            Assert.That(decoded.SendType, Is.EqualTo(message.SendType));
            Assert.That(decoded.Flags, Is.EqualTo(message.Flags));
            Assert.That(decoded.Ttl, Is.EqualTo(message.Ttl - 1));
            Assert.That(decoded.Source, Is.EqualTo(message.Source.Prepend(42)));
            Assert.That(decoded.Destination, Is.EqualTo(message.Destination.RemoveFirst()));
            Assert.That(decoded.Content.ToArray(), Is.EqualTo(message.Content.ToArray()));
        });
    }

    [Test]
    public void SeveralFramesAppendToOneWriter()
    {
        var writer = new ArrayBufferWriter<byte>();
        using var a = Message.Create("a");
        using var b = Message.Create("bb", SendType.ToAll);
        FrameEncoder.Write(writer, a);
        FrameEncoder.Write(writer, b);
        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(FrameEncoder.ToArray(a).Concat(FrameEncoder.ToArray(b))));
    }

    [Test]
    public void EncodingDoesNotDisposeTheMessage()
    {
        using var message = Message.Create("still here");
        _ = FrameEncoder.ToArray(message);
        Assert.That(message.ContentAsString(), Is.EqualTo("still here"));
    }
}
