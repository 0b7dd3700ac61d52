using System.Threading.Channels;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Inproc;

/// <summary>One end of an in-process connection: it reads one channel and writes the other.</summary>
internal sealed class InprocConnection(Channel<Message> input, Channel<Message> output, string address) : IMessageConnection
{
    public ChannelReader<Message> Input => input.Reader;

    public ChannelWriter<Message> Output => output.Writer;

    public string LocalAddress => address;

    public string RemoteAddress => address;

    public ValueTask DisposeAsync()
    {
        // Close both directions: the peer sees end of stream, and its sends to us fail instead of piling up.
        output.Writer.TryComplete();
        input.Writer.TryComplete();
        while (input.Reader.TryRead(out var message))
        {
            message.Dispose();
        }

        return default;
    }
}
