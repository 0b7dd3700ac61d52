using System.IO.Pipelines;

namespace MultiSocket;

internal sealed partial class Pipe
{
    // Flush at least this often while draining a long queue, so large batches stream out instead of piling up.
    private const int FlushThreshold = 64 * 1024;

    /// <summary>
    /// Write loop of a byte-stream pipe: encodes every message already queued, then flushes once, so a burst of small
    /// messages shares one system call.
    /// </summary>
    private async Task WriteFramesAsync(PipeWriter output, CancellationToken token)
    {
        var queue = _queue!.Reader;
        try
        {
            while (await queue.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (queue.TryRead(out var message))
                {
                    try
                    {
                        FrameEncoder.Write(output, message);
                    }
                    finally
                    {
                        message.Dispose();
                    }

                    if (output.UnflushedBytes >= FlushThreshold)
                    {
                        var partial = await output.FlushAsync(token).ConfigureAwait(false);
                        if (partial.IsCompleted || partial.IsCanceled)
                        {
                            return;
                        }
                    }
                }

                var flushed = await output.FlushAsync(token).ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
            }

            // The queue was completed (socket disposal) and everything in it has been flushed.
            _sentEverything = true;
        }
        finally
        {
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
