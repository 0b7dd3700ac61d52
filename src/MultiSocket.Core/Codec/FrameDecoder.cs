using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace MultiSocket;

/// <summary>
/// Decodes native frames arriving on one pipe from a <see cref="ReadOnlySequence{T}"/>, whatever the segment and read
/// boundaries. A decoded message is the message as the receiving node sees it: its source path starts with this
/// pipe's id, its ttl is one less, and a to-destination message has dropped the first destination id (the previous
/// node's own pipe).
/// </summary>
/// <remarks>
/// Stateful: once a frame's header and paths are in, its content is copied into the message's pooled buffer as it
/// arrives and consumed from the input, so a frame larger than the transport's buffers never stalls the stream.
/// Not thread-safe: one decoder per pipe, used by its read loop.
/// </remarks>
public sealed class FrameDecoder : IDisposable
{
    private readonly uint _pipeId;
    private readonly uint _maxContentLength;
    private Message? _pending;
    private int _filled;

    /// <summary>Creates a decoder for the pipe <paramref name="pipeId"/>.</summary>
    /// <param name="pipeId">This pipe's id, put first in every decoded message's source path.</param>
    /// <param name="maxContentLength">The largest content accepted; 0 for no limit.</param>
    public FrameDecoder(uint pipeId, uint maxContentLength)
    {
        ArgumentOutOfRangeException.ThrowIfZero(pipeId);
        _pipeId = pipeId;
        _maxContentLength = maxContentLength;
    }

    /// <summary>True while a frame has started but its content has not all arrived.</summary>
    public bool HasPartialFrame => _pending is not null;

    /// <summary>
    /// Decodes the next message from <paramref name="buffer"/>, slicing off what it consumed. Returns false when more
    /// bytes are needed; what is left in <paramref name="buffer"/> must be presented again with the bytes that follow.
    /// </summary>
    /// <exception cref="FrameException">The frame is malformed or its content is over the limit.</exception>
    public bool TryDecode(ref ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out Message? message)
    {
        if (_pending is null && TryDecodeWhole(ref buffer, out message))
        {
            return true;
        }

        message = null;
        if (_pending is null && !TryStartFrame(ref buffer))
        {
            return false;
        }

        var pending = _pending!;
        int missing = pending.Length - _filled;
        if (missing > 0)
        {
            int take = (int)Math.Min(missing, buffer.Length);
            buffer.Slice(0, take).CopyTo(pending.WritableContent.Span[_filled..]);
            buffer = buffer.Slice(take);
            _filled += take;
            if (take < missing)
            {
                return false;
            }
        }

        message = pending;
        _pending = null;
        _filled = 0;
        return true;
    }

    /// <summary>
    /// The length of the run of whole, valid frames of at most <paramref name="frameLimit"/> bytes each that starts
    /// <paramref name="buffer"/>, up to <paramref name="limit"/> bytes (at least one frame). 0 when the run has fewer than
    /// <paramref name="minFrames"/> frames, when a frame is part way, or when the first frame is not such a frame. Those
    /// frames can be decoded anywhere, later, with <see cref="Decode"/>; the rest is for <see cref="TryDecode"/> (which
    /// throws for an invalid frame).
    /// </summary>
    internal long WholeFramesLength(in ReadOnlySequence<byte> buffer, int frameLimit, int limit, int minFrames = 1)
    {
        if (_pending is not null)
        {
            return 0;
        }

        long total = MeasureRun(buffer, frameLimit, limit, out int frames);
        return frames >= minFrames ? total : 0;
    }

    private long MeasureRun(in ReadOnlySequence<byte> buffer, int frameLimit, int limit, out int frames)
    {
        frames = 0;
        long total = 0;
        var rest = buffer;
        while (total < limit)
        {
            // Frames within the first segment, from one span.
            var span = rest.FirstSpan;
            int at = 0;
            while (span.Length - at >= FrameHeader.Size)
            {
                var header = FrameHeader.Read(span[at..]);
                if (!JoinsRun(header, span.Length - at, total + at, frameLimit, limit))
                {
                    break;
                }

                at += (int)header.FrameSize;
                frames++;
            }

            total += at;
            rest = rest.Slice(at);
            if (rest.IsEmpty || total >= limit)
            {
                return total;
            }

            // A frame that crosses into the next segment (or the first that does not qualify).
            if (!FrameHeader.TryRead(rest, out var next) || !JoinsRun(next, rest.Length, total, frameLimit, limit))
            {
                return total;
            }

            total += next.FrameSize;
            frames++;
            rest = rest.Slice(next.FrameSize);
        }

        return total;
    }

    // Whether the frame whose header this is joins a run of `run` bytes so far: whole within `available` bytes, valid,
    // at most frameLimit bytes, and within limit (unless it is the run's first frame).
    private bool JoinsRun(in FrameHeader header, long available, long run, int frameLimit, int limit)
    {
        long size = header.FrameSize;
        return size <= frameLimit && size <= available && (run + size <= limit || run == 0) && Check(header) is null;
    }

    /// <summary>
    /// Decodes the whole frame at the start of <paramref name="frame"/>, one that <see cref="WholeFramesLength"/>
    /// counted, for the pipe <paramref name="pipeId"/>; <paramref name="size"/> is the frame's length.
    /// </summary>
    internal static Message Decode(ReadOnlySpan<byte> frame, uint pipeId, out int size)
    {
        var header = FrameHeader.Read(frame);
        size = (int)header.FrameSize;
        return DecodeFrame(frame, header, pipeId);
    }

    /// <summary>
    /// Checks, at end of stream, that no frame was cut short.
    /// </summary>
    /// <exception cref="FrameException">The stream ended inside a frame.</exception>
    public void Complete(in ReadOnlySequence<byte> remaining)
    {
        if (_pending is not null || !remaining.IsEmpty)
        {
            throw new FrameException(
                FrameError.Truncated,
                $"The stream ended inside a frame ({(_pending is null ? remaining.Length : _filled)} bytes of it received).");
        }
    }

    /// <summary>Returns the buffer of a partly received frame to its pool.</summary>
    public void Dispose()
    {
        _pending?.Dispose();
        _pending = null;
    }

    /// <summary>
    /// The common case of small frames: the whole frame is in the buffer's first segment, so it is decoded from one
    /// span and the buffer sliced once (slicing a sequence costs more than decoding a small frame).
    /// </summary>
    private bool TryDecodeWhole(ref ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out Message? message)
    {
        var span = buffer.FirstSpan;
        if (span.Length < FrameHeader.Size)
        {
            message = null;
            return false;
        }

        var header = FrameHeader.Read(span);
        Validate(header);
        long size = header.FrameSize;
        if (size > span.Length)
        {
            message = null;
            return false;
        }

        message = DecodeFrame(span, header, _pipeId);
        buffer = buffer.Slice(size);
        return true;
    }

    // A whole frame, its header read (and valid), from one span.
    private static Message DecodeFrame(ReadOnlySpan<byte> span, in FrameHeader header, uint pipeId)
    {
        int at = FrameHeader.Size;
        var source = MessagePath.Read(span.Slice(at, header.Hops * 4), header.Hops, pipeId);
        at += header.Hops * 4;
        var destination = MessagePath.Empty;
        if (header.Distance > 0)
        {
            // The first destination id is the previous node's own pipe: it has been used.
            destination = MessagePath.Read(span.Slice(at + 4, (header.Distance - 1) * 4), header.Distance - 1);
            at += header.Distance * 4;
        }

        var message = NewMessage(header, source, destination);
        span.Slice(at, (int)header.Length).CopyTo(message.WritableContent.Span);
        return message;
    }

    private static Message NewMessage(in FrameHeader header, MessagePath source, MessagePath destination)
    {
        var msg = Message.Rent((int)header.Length);
        msg.SendType = header.SendType;
        msg.Flags = header.Flags;
        msg.Ttl = header.Ttl == 0 ? (byte)0 : (byte)(header.Ttl - 1);
        msg.Source = source;
        msg.Destination = destination;
        return msg;
    }

    private bool TryStartFrame(ref ReadOnlySequence<byte> buffer)
    {
        if (!FrameHeader.TryRead(buffer, out var header))
        {
            return false;
        }

        Validate(header);
        long prefix = FrameHeader.Size + header.PathsSize;
        if (buffer.Length < prefix)
        {
            return false;
        }

        var reader = new SequenceReader<byte>(buffer);
        reader.Advance(FrameHeader.Size);
        var source = MessagePath.Read(ref reader, header.Hops, _pipeId);
        var destination = MessagePath.Empty;
        if (header.Distance > 0)
        {
            // The first destination id is the previous node's own pipe: it has been used.
            reader.Advance(4);
            destination = MessagePath.Read(ref reader, header.Distance - 1);
        }

        buffer = buffer.Slice(prefix);
        _pending = NewMessage(header, source, destination);
        _filled = 0;
        return true;
    }

    private void Validate(in FrameHeader header)
    {
        if (Check(header) is { } error)
        {
            throw error;
        }
    }

    // What is wrong with a frame's header, or null.
    private FrameException? Check(in FrameHeader header)
    {
        if (_maxContentLength != 0 && header.Length > _maxContentLength)
        {
            return new FrameException(
                FrameError.ContentTooLong,
                $"Frame content of {header.Length} bytes exceeds the receive limit of {_maxContentLength} bytes.");
        }

        if (header.Length > Array.MaxLength)
        {
            return new FrameException(FrameError.ContentTooLong, $"Frame content of {header.Length} bytes is larger than .NET can hold.");
        }

        if ((byte)header.SendType == 3)
        {
            return new FrameException(FrameError.InvalidSendType, "Frame has send type 3, which is not defined.");
        }

        if (header.SendType == SendType.ToDestination ? header.Distance == 0 : header.Distance != 0)
        {
            return new FrameException(
                FrameError.InvalidPath,
                $"Frame of send type {header.SendType} has a destination of {header.Distance} ids.");
        }

        if (header.Hops == MessagePath.MaxLength)
        {
            return new FrameException(FrameError.InvalidPath, "Frame has already taken 255 hops; its source path cannot grow.");
        }

        return null;
    }
}
