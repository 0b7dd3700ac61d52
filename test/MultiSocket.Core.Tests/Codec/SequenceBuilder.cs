using System.Buffers;

namespace MultiSocket.Core.Tests.Codec;

/// <summary>Builds <see cref="ReadOnlySequence{T}"/>s of several segments, to test parsing across segment boundaries.</summary>
internal static class SequenceBuilder
{
    public static ReadOnlySequence<byte> FromSegments(params byte[][] segments)
    {
        if (segments.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(segments[0], 0);
        var last = first;
        for (int i = 1; i < segments.Length; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The bytes split at <paramref name="at"/> into two segments (either may be empty).</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int at) => FromSegments(bytes[..at], bytes[at..]);

    /// <summary>Every byte in a segment of its own.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes) => FromSegments(bytes.Select(b => new[] { b }).ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
