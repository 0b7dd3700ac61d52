namespace MultiSocket.Tools.Mscat;

/// <summary>A --dial or --listen address was rejected as malformed or unsupported: a usage error, not a runtime one.</summary>
internal sealed class AddressException : Exception
{
    /// <summary>Wraps the socket's complaint about <paramref name="address"/>.</summary>
    public AddressException(string address, Exception inner)
        : base($"bad address '{address}': {inner.Message}", inner)
    {
        Address = address;
    }

    /// <summary>The address as given on the command line.</summary>
    public string Address { get; }
}
