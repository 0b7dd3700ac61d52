using System.Buffers;
using System.Text;
using MultiSocket.Tools.Mscat;

namespace MultiSocket.Tools.Tests.Mscat;

/// <summary>The formatter in-process, over every byte value.</summary>
public class MessagePrinterTests
{
    private static readonly byte[] AllBytes = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];

    private static string Format(ReadOnlySpan<byte> content, MessageFormat format)
    {
        var writer = new ArrayBufferWriter<byte>();
        MessagePrinter.Format(content, format, writer);
        return Encoding.Latin1.GetString(writer.WrittenSpan);
    }

    [Test]
    public void Hex_IsTwoLowercaseDigitsPerByte()
    {
        Assert.That(Format(AllBytes, MessageFormat.Hex), Is.EqualTo(Convert.ToHexStringLower(AllBytes) + "\n"));
    }

    [Test]
    public void Ascii_KeepsPrintablesAndDotsTheRest()
    {
        string text = Format(AllBytes, MessageFormat.Ascii);

        Assert.That(text, Has.Length.EqualTo(257));
        for (int b = 0; b < 256; b++)
        {
            char expected = b is >= 0x20 and < 0x7f ? (char)b : '.';
            Assert.That(text[b], Is.EqualTo(expected), $"byte 0x{b:x2}");
        }
    }

    [Test]
    public void Quoted_RoundTripsThroughCEscapes()
    {
        string text = Format(AllBytes, MessageFormat.Quoted);

        Assert.That(text, Does.StartWith("\"").And.EndWith("\"\n"));
        Assert.That(Unescape(text[1..^2]), Is.EqualTo(AllBytes));
        Assert.That(text[..^1].Any(c => c < 0x20 || c >= 0x7f), Is.False, "only printable ASCII inside the quotes");
    }

    [Test]
    public void Raw_IsTheBytesUnchanged()
    {
        Assert.That(Encoding.Latin1.GetBytes(Format(AllBytes, MessageFormat.Raw)), Is.EqualTo(AllBytes));
    }

    [Test]
    public void Print_WritesAndFlushesEachMessage()
    {
        using var output = new MemoryStream();
        var printer = new MessagePrinter(output, MessageFormat.Quoted);

        printer.Print("a\"b"u8);
        printer.Print(ReadOnlySpan<byte>.Empty);

        Assert.That(Encoding.ASCII.GetString(output.ToArray()), Is.EqualTo("\"a\\\"b\"\n\"\"\n"));
    }

    private static byte[] Unescape(string quoted)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < quoted.Length; i++)
        {
            if (quoted[i] != '\\')
            {
                bytes.Add((byte)quoted[i]);
                continue;
            }

            char next = quoted[++i];
            switch (next)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case '"': bytes.Add((byte)'"'); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x': bytes.Add(Convert.ToByte(quoted.Substring(i + 1, 2), 16)); i += 2; break;
                default: Assert.Fail($"unknown escape \\{next}"); break;
            }
        }

        return [.. bytes];
    }
}
