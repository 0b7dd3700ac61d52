using System.Threading.Channels;

namespace MultiSocket;

/// <summary>
/// Sends each message to the pipe named by the first id of its destination path. The whole path, that id included,
/// goes on the wire: the next node drops the id it finds first. A message whose pipe is gone is dropped and counted
/// in <see cref="SocketStatistics.Unroutable"/> (the peer it was for has left).
/// </summary>
internal sealed class ToDestinationSender(Socket socket) : Sender(socket)
{
    public override ValueTask SendAsync(Message message, CancellationToken cancellationToken)
    {
        uint id = message.Destination.First;
        if (id == 0 || !Socket.TryGetPipe(id, out var pipe))
        {
            message.Dispose();
            Socket.Statistics.OnUnroutable();
            return default;
        }

        if (pipe.TryEnqueue(message))
        {
            return default;
        }

        if (BestEffort)
        {
            Drop(message);
            return default;
        }

        return SendSlowAsync(message, pipe, cancellationToken);
    }

    private async ValueTask SendSlowAsync(Message message, Pipe pipe, CancellationToken cancellationToken)
    {
        try
        {
            await pipe.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            message.Dispose();
            Socket.Statistics.OnUnroutable();
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }
}
