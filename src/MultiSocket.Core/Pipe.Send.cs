using System.Buffers;
using System.IO.Pipelines;

namespace MultiSocket;

internal sealed partial class Pipe
{
    // Flush at least this often while draining a long queue, so large batches stream out instead of piling up.
    private const int FlushThreshold = 64 * 1024;

    /// <summary>
    /// Write loop of a byte-stream pipe: encodes every message already queued, then flushes once, so a burst of small
    /// messages shares one system call. A raw pipe writes only each message's content, and closes on an empty one.
    /// </summary>
    private async Task WriteFramesAsync(PipeWriter output, CancellationToken token)
    {
        var queue = _queue!;

        // Flushes take no token either (a cancellable flush registers with it every time it waits for the socket); an
        // abort cancels the pending flush instead, registered once per pipe.
        var abort = token.UnsafeRegister(static writer => ((PipeWriter)writer!).CancelPendingFlush(), output);
        try
        {
            // No token on the wait: a cancellable wait allocates every time the queue runs dry. Abort completes the
            // queue, which ends the wait; the token is checked between messages instead.
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                while (!token.IsCancellationRequested && queue.TryRead(out var message))
                {
                    bool close = false;
                    try
                    {
                        if (!_raw)
                        {
                            FrameEncoder.Write(output, message);
                        }
                        else if (message.Length > 0)
                        {
                            // A raw pipe carries only content.
                            output.Write(message.Content.Span);
                        }
                        else
                        {
                            // An empty message to a raw pipe closes it once what came before it is out.
                            close = true;
                        }
                    }
                    finally
                    {
                        message.Dispose();
                    }

                    if (close)
                    {
                        CompleteSending();
                        await output.FlushAsync(token).ConfigureAwait(false);
                        _sentEverything = true;
                        return;
                    }

                    if (output.UnflushedBytes >= FlushThreshold)
                    {
                        var partial = await output.FlushAsync().ConfigureAwait(false);
                        if (partial.IsCompleted || partial.IsCanceled)
                        {
                            return;
                        }
                    }
                }

                if (token.IsCancellationRequested)
                {
                    return;
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
