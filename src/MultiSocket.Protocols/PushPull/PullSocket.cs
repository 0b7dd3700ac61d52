namespace MultiSocket.Protocols;

/// <summary>The receiving side of a pipeline: takes the messages pushers send it. Pull sockets do not send.</summary>
public sealed class PullSocket : ReceivingSocket
{
    /// <summary>Creates a pull socket (the options' <see cref="SocketOptions.NoSend"/> is forced on).</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off receiving.</exception>
    public PullSocket(SocketOptions? options = null)
        : base(Configure(options))
    {
    }

    private static SocketOptions Configure(SocketOptions? options)
    {
        options ??= SocketOptions.Default;
        if (options.NoReceive)
        {
            throw new ArgumentException("A pull socket receives: NoReceive must be false.", nameof(options));
        }

        return options with { NoSend = true };
    }
}
