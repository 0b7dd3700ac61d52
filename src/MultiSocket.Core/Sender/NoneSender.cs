namespace MultiSocket;

/// <summary>The sender of a socket created with <see cref="SocketOptions.NoSend"/>: every send is refused.</summary>
internal sealed class NoneSender(Socket socket) : Sender(socket)
{
    public override ValueTask SendAsync(Message message, CancellationToken cancellationToken)
    {
        message.Dispose();
        Throw.NoSend();
        return default;
    }
}
