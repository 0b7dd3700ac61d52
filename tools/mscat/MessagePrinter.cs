using System.Buffers;

namespace MultiSocket.Tools.Mscat;

/// <summary>
/// Writes received messages to a stream in one <see cref="MessageFormat"/> and flushes after each, so a reader on the
/// other end of a pipe sees every message as soon as it arrives. Safe to call from several tasks.
/// </summary>
internal sealed class MessagePrinter
{
    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    private readonly Stream _output;
    private readonly MessageFormat _format;
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Lock _gate = new();

    /// <summary>Creates a printer writing to <paramref name="output"/>.</summary>
    public MessagePrinter(Stream output, MessageFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _format = format;
    }

    /// <summary>Writes <paramref name="content"/> in the printer's format and flushes.</summary>
    /// <exception cref="IOException">The output is closed (for example, a broken pipe).</exception>
    public void Print(ReadOnlySpan<byte> content)
    {
        lock (_gate)
        {
            if (_format == MessageFormat.Raw)
            {
                _output.Write(content);
            }
            else
            {
                _buffer.ResetWrittenCount();
                Format(content, _format, _buffer);
                _output.Write(_buffer.WrittenSpan);
            }

            _output.Flush();
        }
    }

    /// <summary>Appends <paramref name="content"/> formatted as <paramref name="format"/> (a line, but for raw) to <paramref name="writer"/>.</summary>
    public static void Format(ReadOnlySpan<byte> content, MessageFormat format, IBufferWriter<byte> writer)
    {
        switch (format)
        {
            case MessageFormat.Raw:
                writer.Write(content);
                return;
            case MessageFormat.Ascii:
                WriteAscii(content, writer);
                break;
            case MessageFormat.Quoted:
                WriteQuoted(content, writer);
                break;
            case MessageFormat.Hex:
                WriteHex(content, writer);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown message format.");
        }

        writer.Write("\n"u8);
    }

    private static void WriteAscii(ReadOnlySpan<byte> content, IBufferWriter<byte> writer)
    {
        var span = writer.GetSpan(content.Length)[..content.Length];
        for (int i = 0; i < content.Length; i++)
        {
            byte b = content[i];
            span[i] = IsPrintable(b) ? b : (byte)'.';
        }

        writer.Advance(content.Length);
    }

    private static void WriteHex(ReadOnlySpan<byte> content, IBufferWriter<byte> writer)
    {
        var span = writer.GetSpan(content.Length * 2)[..(content.Length * 2)];
        for (int i = 0; i < content.Length; i++)
        {
            span[2 * i] = HexDigits[content[i] >> 4];
            span[(2 * i) + 1] = HexDigits[content[i] & 0xf];
        }

        writer.Advance(content.Length * 2);
    }

    private static void WriteQuoted(ReadOnlySpan<byte> content, IBufferWriter<byte> writer)
    {
        // At most 4 output bytes per input byte (\xNN), plus the two quotes.
        var span = writer.GetSpan((content.Length * 4) + 2);
        int n = 0;
        span[n++] = (byte)'"';
        foreach (byte b in content)
        {
            switch (b)
            {
                case (byte)'"':
                case (byte)'\\':
                    span[n++] = (byte)'\\';
                    span[n++] = b;
                    break;
                case (byte)'\n':
                    span[n++] = (byte)'\\';
                    span[n++] = (byte)'n';
                    break;
                case (byte)'\r':
                    span[n++] = (byte)'\\';
                    span[n++] = (byte)'r';
                    break;
                case (byte)'\t':
                    span[n++] = (byte)'\\';
                    span[n++] = (byte)'t';
                    break;
                default:
                    if (IsPrintable(b))
                    {
                        span[n++] = b;
                    }
                    else
                    {
                        span[n++] = (byte)'\\';
                        span[n++] = (byte)'x';
                        span[n++] = HexDigits[b >> 4];
                        span[n++] = HexDigits[b & 0xf];
                    }

                    break;
            }
        }

        span[n++] = (byte)'"';
        writer.Advance(n);
    }

    private static bool IsPrintable(byte b) => b is >= 0x20 and < 0x7f;
}
