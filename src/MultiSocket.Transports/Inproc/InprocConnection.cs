using System.Threading.Channels;
using MultiSocket.Internal;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Inproc;

/// <summary>
/// One end of an in-process connection: it reads one channel and writes the other. Each channel has a
/// <see cref="SendRoom"/> shared by both ends, where the writing pipe waits and the reading pipe resumes it.
/// </summary>
internal sealed class InprocConnection(Channel<Message> input, SendRoom inputRoom, Channel<Message> output, SendRoom outputRoom, string address)
    : IMessageConnection, IMessageRoom
{
    public ChannelReader<Message> Input => input.Reader;

    public ChannelWriter<Message> Output => output.Writer;

    public SendRoom InputRoom => inputRoom;

    public SendRoom OutputRoom => outputRoom;

    public string LocalAddress => address;

    public string RemoteAddress => address;

    public ValueTask DisposeAsync()
    {
        // Close both directions: the peer sees end of stream, and its sends to us fail instead of piling up.
        output.Writer.TryComplete();
        input.Writer.TryComplete();
        outputRoom.Close();
        inputRoom.Close();
        while (input.Reader.TryRead(out var message))
        {
            message.Dispose();
        }

        return default;
    }
}
