using System.Buffers;

namespace MultiSocket.Core.Tests.Codec;

/// <summary>Loads the bytes captured from the Go implementation (test/MultiSocket.Core.Tests/WireVectors/*.hex).</summary>
internal static class WireVectors
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "WireVectors");

    public static IEnumerable<string> Names =>
        System.IO.Directory.GetFiles(Directory, "*.hex")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Order(StringComparer.Ordinal);

    public static byte[] Load(string name) =>
        Convert.FromHexString(File.ReadAllText(Path.Combine(Directory, name + ".hex")).Trim());

    /// <summary>Decodes exactly one frame from <paramref name="frame"/> as pipe <paramref name="pipeId"/> would.</summary>
    public static Message DecodeOne(byte[] frame, uint pipeId, uint maxContentLength = 0)
    {
        using var decoder = new FrameDecoder(pipeId, maxContentLength);
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.That(decoder.TryDecode(ref buffer, out var message), Is.True, "a whole frame decodes");
        Assert.That(buffer.Length, Is.Zero, "the frame is consumed entirely");
        decoder.Complete(buffer);
        return message!;
    }
}
