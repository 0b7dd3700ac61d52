using System.Threading.Channels;

namespace MultiSocket.Transport;

/// <summary>
/// A connection that carries whole messages without encoding (the in-process transport). A message written to
/// <see cref="Output"/> is owned by the connection until the peer reads it from its <see cref="Input"/>.
/// </summary>
public interface IMessageConnection : IConnection
{
    /// <summary>Messages from the peer; completes when the peer closes.</summary>
    ChannelReader<Message> Input { get; }

    /// <summary>Messages to the peer; bounded, so a slow peer pushes back on the sender.</summary>
    ChannelWriter<Message> Output { get; }
}
