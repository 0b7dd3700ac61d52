using System.Buffers;
using System.IO.Pipelines;
using MultiSocket.Internal;

namespace MultiSocket;

internal sealed partial class Pipe
{
    // Flush at least this often while draining a long queue, so large batches stream out instead of piling up.
    private const int FlushThreshold = 64 * 1024;

    // Frames up to this size are packed together into the writer's spans; larger ones are written on their own.
    private const int PackedFrameLimit = 16 * 1024;

    private enum Encoded
    {
        /// <summary>The queue is empty (or the pipe is aborting).</summary>
        Drained,

        /// <summary>Enough is waiting to be flushed before taking more.</summary>
        Threshold,

        /// <summary>A raw pipe met an empty message: flush and close.</summary>
        Close,
    }

    /// <summary>
    /// Encodes queued messages until the queue is empty or <see cref="FlushThreshold"/> bytes wait to be flushed. Small
    /// frames are packed into one span and committed with one <c>Advance</c>: each Advance takes the pipe's lock, which
    /// the transport's send loop takes too, and per message the two contended for it.
    /// </summary>
    private Encoded Encode(PipeWriter output, CancellationToken token)
    {
        var queue = _queue!;
        bool raw = _raw;
        long unflushed = output.CanGetUnflushedBytes ? output.UnflushedBytes : 0;
        Span<byte> span = default;
        int used = 0;
        var result = Encoded.Drained;
        var log = queue.LogReader;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (log is not null && CopyLog(log, output, queue, ref span, ref used, ref unflushed))
                {
                    result = Encoded.Threshold;
                    break;
                }

                // A message queued after CopyLog found the queue empty may have been queued after frames its sender
                // logged past what was copied: copy up to its mark first (the next round does), or it overtakes them.
                // Only the message looked at is taken: one written between a failed look and a take went out unchecked.
                if (!queue.TryPeek(out var head))
                {
                    break;
                }

                // The pipe may have been given the log during this run (the socket's first send to all): a message
                // queued since then carries a mark, and one behind a frame its sender logged must wait for that frame. Read
                // after the look at the head, the reader a marked head was marked with is seen (a sender that marked it
                // saw the reader before queueing it).
                log ??= queue.LogReader;
                if (log is not null && !log.HasPassed(head.LogMark))
                {
                    continue;
                }

                // The reader is the only one taking: the message looked at is the one taken.
                queue.TryRead(out _);
                var message = head;

                try
                {
                    if (raw)
                    {
                        Commit(output, ref span, ref used, ref unflushed);
                        if (message.Length == 0)
                        {
                            // An empty message to a raw pipe closes it once what came before it is out.
                            result = Encoded.Close;
                            break;
                        }

                        // A raw pipe carries only content.
                        output.Write(message.Content.Span);
                        unflushed += message.Length;
                    }
                    else
                    {
                        int size = FrameEncoder.GetFrameSize(message);
                        if (size > PackedFrameLimit)
                        {
                            Commit(output, ref span, ref used, ref unflushed);
                            FrameEncoder.Write(output, message);
                            unflushed += size;
                        }
                        else
                        {
                            if (span.Length - used < size)
                            {
                                Commit(output, ref span, ref used, ref unflushed);
                                span = output.GetSpan(size);
                            }

                            FrameEncoder.WriteTo(span[used..], message, size);
                            used += size;
                        }
                    }
                }
                finally
                {
                    message.Dispose();
                }

                if (unflushed + used >= FlushThreshold)
                {
                    result = Encoded.Threshold;
                    break;
                }
            }
        }
        finally
        {
            // Also when encoding failed: the frames packed before it go out (the failed one was not counted).
            Commit(output, ref span, ref used, ref unflushed);
        }

        return result;
    }

    /// <summary>
    /// Copies the frames logged before the next queued message (all of them when none is queued) into the output, after
    /// the frames packed so far; true when enough now waits to be flushed.
    /// </summary>
    private bool CopyLog(PublishLog.Reader log, PipeWriter output, SendQueue queue, ref Span<byte> span, ref int used, ref long unflushed)
    {
        PublishLog.LogMark until;
        if (queue.TryPeek(out var next))
        {
            until = next.LogMark;
        }
        else
        {
            // Nothing to take: copy up to the log's end as read here, and only if the queue is still empty after it. Up
            // to the end as it stood at the copy could pass a message queued meanwhile by a sender that then logged more
            // (queued "two", logged "three": "three" went out first); a message queued after this look was queued
            // before anything its sender logged after this end. And a sender that has claimed the head slot without
            // writing it yet may hide messages written behind it, with frames logged after them: copy nothing until the
            // head can be read (four publishing tasks saw a queued message overtaken by thousands of frames while one
            // of them was descheduled mid-enqueue). Read here only, the end's fence costs nothing per queued message.
            var end = log.Log.PeekEnd();
            if (!queue.IsEmpty)
            {
                return false;
            }

            until = end;
        }

        if (log.Position >= until.Position)
        {
            return false;
        }

        Commit(output, ref span, ref used, ref unflushed);
        unflushed += log.CopyTo(output, FlushThreshold, until);

        return unflushed >= FlushThreshold;
    }

    private static void Commit(PipeWriter output, ref Span<byte> span, ref int used, ref long unflushed)
    {
        if (used > 0)
        {
            output.Advance(used);
            unflushed += used;
        }

        span = default;
        used = 0;
    }

    /// <summary>
    /// Write loop of a byte-stream pipe: encodes every message already queued, then flushes once, so a burst of small
    /// messages shares one system call. A raw pipe writes only each message's content, and closes on an empty one.
    /// </summary>
    private async Task WriteFramesAsync(PipeWriter output, CancellationToken token)
    {
        var queue = _queue!;
        var spinner = new SpinWait();

        // Flushes take no token either (a cancellable flush registers with it every time it waits for the socket); an
        // abort cancels the pending flush instead, registered once per pipe.
        var abort = token.UnsafeRegister(static writer => ((PipeWriter)writer!).CancelPendingFlush(), output);
        try
        {
            // No token on the wait: a cancellable wait allocates every time the queue runs dry. Abort completes the
            // queue, which ends the wait; the token is checked between messages instead.
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                while (true)
                {
                    var encoded = Encode(output, token);
                    if (encoded == Encoded.Close)
                    {
                        CompleteSending();
                        await output.FlushAsync(token).ConfigureAwait(false);
                        _sentEverything = true;
                        return;
                    }

                    if (encoded != Encoded.Threshold)
                    {
                        break;
                    }

                    var partial = await output.FlushAsync().ConfigureAwait(false);
                    if (partial.IsCompleted || partial.IsCanceled)
                    {
                        return;
                    }
                }

                if (token.IsCancellationRequested)
                {
                    return;
                }

                if (queue.HeadInFlight)
                {
                    // A sender is between claiming the head slot and writing it: it is on its way (yield to it, never sleep).
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
                else
                {
                    spinner.Reset();
                }

                queue.OnDrained();
                var flushed = await output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
            }

            // The queue was completed (socket disposal) and everything in it has been flushed.
            _sentEverything = !token.IsCancellationRequested;
        }
        finally
        {
            // Unregister first: a writer may refuse CancelPendingFlush once completed (a stream writer throws).
            abort.Dispose();
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
