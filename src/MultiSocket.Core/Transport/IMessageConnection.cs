namespace MultiSocket.Transport;

/// <summary>
/// A connection that carries whole messages without encoding (the in-process transport): one
/// <see cref="MessageLink"/> each way, through which the writing pipe hands messages straight to the reading pipe.
/// </summary>
internal interface IMessageConnection : IConnection
{
    /// <summary>Messages from the peer: this end's pipe reads (attaches to) it.</summary>
    MessageLink Input { get; }

    /// <summary>Messages to the peer: this end's pipe writes it.</summary>
    MessageLink Output { get; }
}
