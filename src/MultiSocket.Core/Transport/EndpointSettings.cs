using System.Globalization;

namespace MultiSocket.Transport;

/// <summary>
/// The settings of one dial or listen address: the socket's options overridden by the address's query-string options
/// (<c>tcp://127.0.0.1:30001?MaxRecvContentLength=1048576&amp;NoDelay=false</c>). Option names are compared without
/// regard to case and may be given short (<c>Raw</c>) or as the Go library spells them (<c>Connector.Pipe.Raw</c>).
/// </summary>
internal sealed record EndpointSettings
{
    /// <summary>Every option an address may carry: its names, and how it applies its value.</summary>
    private static readonly Option[] Known =
    [
        new(["Raw", "Connector.Pipe.Raw"], (s, v) => s with { Transport = s.Transport with { Raw = ParseBool(v) } }),
        new(["MaxRecvContentLength", "MaxReceiveContentLength", "Connector.Pipe.MaxRecvContentLength", "Transport.MaxRecvSize"],
            (s, v) => s with { MaxReceiveContentLength = ParseUInt(v) }),
        new(["ReadBuffer", "ReadBufferSize", "RawRecvBufSize", "Connector.Pipe.ReadBuffer", "Connector.Pipe.RawRecvBufSize"],
            (s, v) => s with { Transport = s.Transport with { ReadBufferSize = ParseSize(v) } }),
        new(["Reconnect", "Connector.Dialer.Reconnect"], (s, v) => s with { Reconnect = ParseBool(v) }),
        new(["MinReconnectTime", "MinReconnectInterval", "Connector.Dialer.MinReconnectTime"],
            (s, v) => s with { MinReconnectInterval = ParseDuration(v) }),
        new(["MaxReconnectTime", "MaxReconnectInterval", "Connector.Dialer.MaxReconnectTime"],
            (s, v) => s with { MaxReconnectInterval = ParseDuration(v) }),
        new(["NoDelay", "Transport.TCP.NoDelay"], (s, v) => s with { Transport = s.Transport with { NoDelay = ParseBool(v) } }),
        new(["KeepAlive", "Transport.TCP.KeepAlive"], (s, v) => s with { Transport = s.Transport with { KeepAlive = ParseBool(v) } }),
        new(["SendBufferSize", "SendBuffer", "WriteBufferSize", "Transport.WS.WriteBufferSize"],
            (s, v) => s with { Transport = s.Transport with { SendBufferSize = ParseSize(v) } }),
        new(["ReceiveBufferSize", "RecvBufferSize", "Transport.WS.ReadBufferSize"],
            (s, v) => s with { Transport = s.Transport with { ReceiveBufferSize = ParseSize(v) } }),
    ];

    private static readonly Dictionary<string, Option> ByName = Known
        .SelectMany(o => o.Names.Select(n => (n, o)))
        .ToDictionary(p => p.n, p => p.o, StringComparer.OrdinalIgnoreCase);

    /// <summary>Raw pipe: no framing; every chunk read is a message, sends write only the content.</summary>
    public bool Raw => Transport.Raw;

    /// <summary>Longest content a pipe accepts from its peer; 0 = unlimited.</summary>
    public uint MaxReceiveContentLength { get; init; }

    /// <summary>Dialers only: redial when the pipe closes.</summary>
    public bool Reconnect { get; init; }

    /// <summary>Dialers only: first redial delay.</summary>
    public TimeSpan MinReconnectInterval { get; init; }

    /// <summary>Dialers only: longest redial delay.</summary>
    public TimeSpan MaxReconnectInterval { get; init; }

    /// <summary>What the transport applies to the connection.</summary>
    public required TransportOptions Transport { get; init; }

    /// <summary>The names an address option may have (short and Go-style), for messages and docs.</summary>
    public static IEnumerable<string> OptionNames => Known.Select(o => o.Names[0]);

    /// <summary>The socket's settings with <paramref name="address"/>'s options applied.</summary>
    /// <exception cref="ArgumentException">An option is unknown or its value is invalid.</exception>
    public static EndpointSettings Resolve(SocketOptions options, TransportAddress address)
    {
        var settings = new EndpointSettings
        {
            MaxReceiveContentLength = options.MaxReceiveContentLength,
            Reconnect = options.Reconnect,
            MinReconnectInterval = options.MinReconnectInterval,
            MaxReconnectInterval = options.MaxReconnectInterval,
            Transport = options.Transport with { MessageQueueSize = options.SendQueueSize },
        };

        foreach (var (name, value) in address.Options)
        {
            if (!ByName.TryGetValue(name, out var option))
            {
                throw new ArgumentException(
                    $"Address '{address.Original}' has unknown option '{name}'. Known options: {string.Join(", ", OptionNames)}.",
                    nameof(address));
            }

            try
            {
                settings = option.Apply(settings, value);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException(
                    $"Address '{address.Original}' has an invalid value '{value}' for option '{name}': expected {ex.Message}.", nameof(address));
            }
        }

        if (settings.MinReconnectInterval > settings.MaxReconnectInterval)
        {
            throw new ArgumentException(
                $"Address '{address.Original}': the minimum reconnect interval ({settings.MinReconnectInterval}) exceeds the maximum ({settings.MaxReconnectInterval}).",
                nameof(address));
        }

        return settings;
    }

    private static bool ParseBool(string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new FormatException("true or false"),
    };

    private static uint ParseUInt(string value) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint result)
            ? result
            : throw new FormatException("a whole number of bytes from 0 to 4294967295");

    private static int ParseSize(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new FormatException("a whole number of bytes");

    /// <summary>A duration as Go writes it (<c>100ms</c>, <c>1.5s</c>, <c>2m</c>, <c>250us</c>) or plain milliseconds.</summary>
    private static TimeSpan ParseDuration(string value)
    {
        (string Suffix, double Ms)[] units = [("ms", 1), ("us", 0.001), ("µs", 0.001), ("ns", 0.000001), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal) &&
                double.TryParse(value.AsSpan(0, value.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n))
            {
                return TimeSpan.FromMilliseconds(n * ms);
            }
        }

        return double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double plain)
            ? TimeSpan.FromMilliseconds(plain)
            : throw new FormatException("a duration such as 100ms, 2s or 1m");
    }

    private sealed record Option(string[] Names, Func<EndpointSettings, string, EndpointSettings> Apply);
}
