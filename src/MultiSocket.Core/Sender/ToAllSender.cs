using System.Threading.Channels;

namespace MultiSocket;

/// <summary>
/// Sends each message to every pipe. The pipes share the one message (reference counted), so its content is not
/// copied per peer. A full queue makes the sender wait, or drops for that pipe alone when best-effort.
/// </summary>
internal sealed class ToAllSender(Socket socket) : Sender(socket)
{
    public override ValueTask SendAsync(Message message, CancellationToken cancellationToken)
    {
        var pipes = Socket.PipeList;
        for (int i = 0; i < pipes.Length; i++)
        {
            if (BestEffort && pipes[i].SkipBestEffort())
            {
                Socket.Statistics.OnDropped();
                continue;
            }

            message.AddRef();
            if (pipes[i].TryEnqueue(message))
            {
                continue;
            }

            if (BestEffort)
            {
                pipes[i].OnBestEffortFull();
                Drop(message);
                continue;
            }

            return SendSlowAsync(message, pipes, i, cancellationToken);
        }

        message.Dispose();
        return default;
    }

    private async ValueTask SendSlowAsync(Message message, Pipe[] pipes, int from, CancellationToken cancellationToken)
    {
        try
        {
            // The caller took a reference for pipes[from] already.
            for (int i = from; i < pipes.Length; i++)
            {
                if (i > from)
                {
                    message.AddRef();
                    if (pipes[i].TryEnqueue(message))
                    {
                        continue;
                    }
                }

                try
                {
                    await pipes[i].EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
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
