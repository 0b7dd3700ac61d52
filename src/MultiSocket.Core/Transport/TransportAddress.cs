namespace MultiSocket.Transport;

/// <summary>
/// A parsed address: <c>scheme://address?Option=value&amp;…#connectType</c>, for example
/// <c>tcp://127.0.0.1:30001</c>, <c>inproc://jobs</c>, <c>ipc:///tmp/app.sock</c> or
/// <c>tcp://127.0.0.1:30001?MaxRecvContentLength=1048576#listen</c>.
/// </summary>
public sealed class TransportAddress
{
    private TransportAddress(string scheme, string address, IReadOnlyDictionary<string, string> options, string? connectType, string original)
    {
        Scheme = scheme;
        Address = address;
        Options = options;
        ConnectType = connectType;
        Original = original;
    }

    /// <summary>The fragment that makes <see cref="Socket.ConnectAsync"/> dial.</summary>
    public const string Dial = "dial";

    /// <summary>The fragment that makes <see cref="Socket.ConnectAsync"/> listen.</summary>
    public const string Listen = "listen";

    /// <summary>The scheme, lower case (<c>tcp</c>, <c>inproc</c>, <c>ipc</c>, <c>ws</c>).</summary>
    public string Scheme { get; }

    /// <summary>What follows <c>://</c>, without query and fragment (<c>127.0.0.1:30001</c>, <c>/tmp/app.sock</c>).</summary>
    public string Address { get; }

    /// <summary>Options from the query string, keys compared without regard to case.</summary>
    public IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>The fragment (<c>listen</c> or <c>dial</c>), or null.</summary>
    public string? ConnectType { get; }

    /// <summary>The text this address was parsed from.</summary>
    public string Original { get; }

    /// <summary>Parses an address.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not of the form <c>scheme://address</c>.</exception>
    public static TransportAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int sep = text.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0)
        {
            throw new FormatException($"Address '{text}' is not of the form scheme://address (for example tcp://127.0.0.1:5555 or inproc://name).");
        }

        string scheme = text[..sep].ToLowerInvariant();
        foreach (char c in scheme)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '+' && c != '-' && c != '.')
            {
                throw new FormatException($"Address '{text}' has an invalid scheme '{scheme}'.");
            }
        }

        string rest = text[(sep + 3)..];
        string? fragment = null;
        int hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            fragment = rest[(hash + 1)..];
            rest = rest[..hash];
        }

        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int q = rest.IndexOf('?');
        if (q >= 0)
        {
            foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                string key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
                string value = eq < 0 ? "true" : Uri.UnescapeDataString(pair[(eq + 1)..]);
                if (key.Length == 0)
                {
                    throw new FormatException($"Address '{text}' has an option with no name.");
                }

                options[key] = value;
            }

            rest = rest[..q];
        }

        if (rest.Length == 0)
        {
            throw new FormatException($"Address '{text}' has nothing after '{scheme}://'.");
        }

        return new TransportAddress(scheme, rest, options, string.IsNullOrEmpty(fragment) ? null : fragment.ToLowerInvariant(), text);
    }

    /// <summary>The address in <c>scheme://address</c> form, without options or fragment.</summary>
    public override string ToString() => $"{Scheme}://{Address}";
}
