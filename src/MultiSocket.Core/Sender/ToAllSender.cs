using System.Threading.Channels;

namespace MultiSocket;

/// <summary>
/// Sends each message to every pipe. The pipes share the one message (reference counted), so its content is not
/// copied per peer. A full queue makes the sender wait, or drops for that pipe alone when best-effort. A best-effort
/// send encodes the message once into the socket's <see cref="Internal.PublishLog"/> for the framed byte-stream pipes
/// (which copy from it) and queues it only for the others.
/// </summary>
internal sealed class ToAllSender(Socket socket) : Sender(socket)
{
    public override ValueTask SendAsync(Message message, CancellationToken cancellationToken)
    {
        var pipes = Socket.PipeList;
        if (BestEffort)
        {
            SendBestEffort(message, pipes);
            return default;
        }

        // One log mark for all the pipes (Pipe.TryEnqueue(Message, ref bool)).
        bool marked = false;
        for (int i = 0; i < pipes.Length; i++)
        {
            message.AddRef();
            if (!pipes[i].TryEnqueue(message, ref marked))
            {
                return SendSlowAsync(message, pipes, i, marked, cancellationToken);
            }
        }

        message.Dispose();
        return default;
    }

    /// <summary>
    /// Queues the message on every pipe with room and drops it for the others; pipes that read the socket's publish log
    /// get it from there (a frame too large for the log goes through every queue). The pipes' references are taken in
    /// one step before the first queue sees the message, and the unused ones released with the caller's in one step
    /// after the last: taken one per pipe, the count's cache line moved between this core and the write loops' (which
    /// release theirs as they encode) for every pipe. Drops are counted once per message, not per pipe.
    /// </summary>
    private void SendBestEffort(Message message, Pipe[] pipes)
    {
        // Pipes in the snapshot that read the log had it before the snapshot was taken or got it from this call.
        var log = Socket.GetPublishLog();
        bool logged = log.HasReaders && log.TryAppend(message);
        int queued = pipes.Length;
        if (logged)
        {
            foreach (var pipe in pipes)
            {
                queued -= pipe.Reads(log) ? 1 : 0;
            }
        }

        message.AddRefs(queued);
        int dropped = 0;
        bool marked = false;
        foreach (var pipe in pipes)
        {
            if ((!logged || !pipe.Reads(log)) && !pipe.TryEnqueueBestEffort(message, ref marked))
            {
                dropped++;
            }
        }

        if (dropped > 0)
        {
            Socket.Statistics.OnDropped(dropped);
        }

        // The caller's reference and those of the pipes that dropped it.
        message.Release(1 + dropped);
    }

    private async ValueTask SendSlowAsync(Message message, Pipe[] pipes, int from, bool marked, CancellationToken cancellationToken)
    {
        try
        {
            // The caller took a reference for pipes[from] already.
            for (int i = from; i < pipes.Length; i++)
            {
                if (i > from)
                {
                    message.AddRef();
                    if (pipes[i].TryEnqueue(message, ref marked))
                    {
                        continue;
                    }
                }

                try
                {
                    await pipes[i].EnqueueAsync(message, ref marked, cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    message.Dispose();
                }
                catch
                {
                    message.Dispose();
                    throw;
                }
            }
        }
        finally
        {
            message.Dispose();
        }
    }
}
