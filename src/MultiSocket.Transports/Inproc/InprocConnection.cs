using MultiSocket.Transport;

namespace MultiSocket.Transports.Inproc;

/// <summary>
/// One end of an in-process connection: it reads one <see cref="MessageLink"/> and writes the other, and each link
/// hands messages from the writing pipe straight to the reading one.
/// </summary>
internal sealed class InprocConnection(MessageLink input, MessageLink output, string address) : IMessageConnection
{
    public MessageLink Input => input;

    public MessageLink Output => output;

    public string LocalAddress => address;

    public string RemoteAddress => address;

    public ValueTask DisposeAsync()
    {
        // The peer gets what we already sent, then end of stream; its sends to us fail instead of piling up.
        output.CompleteWriting();
        input.Close();
        return default;
    }
}
