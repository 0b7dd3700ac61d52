using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MultiSocket.Transports.Tcp;

/// <summary>Parses and resolves the <c>host:port</c> part of tcp (and ws) addresses.</summary>
internal static class TcpEndpoint
{
    /// <summary>Splits <c>host:port</c>, <c>[v6]:port</c> or <c>:port</c> (host empty: every interface).</summary>
    /// <exception cref="ArgumentException">The text is not host:port with a port in 0–65535.</exception>
    public static (string Host, int Port) Split(string hostAndPort, string original)
    {
        int colon = hostAndPort.LastIndexOf(':');
        if (colon < 0)
        {
            throw new ArgumentException($"Address '{original}' has no port; expected host:port (for example 127.0.0.1:5555).", nameof(original));
        }

        string host = hostAndPort[..colon];
        string portText = hostAndPort[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"Address '{original}' has an invalid port '{portText}'; expected 0-65535.", nameof(original));
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return (host, port);
    }

    /// <summary>The addresses to try for <paramref name="host"/>: the literal itself, or what DNS returns.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, bool listening, CancellationToken cancellationToken)
    {
        if (host.Length == 0 || host == "*")
        {
            return listening ? [IPAddress.IPv6Any] : [IPAddress.Loopback];
        }

        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        var found = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (found.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound, $"Host '{host}' has no address.");
        }

        // Prefer IPv4: loopback services commonly listen on 127.0.0.1 only.
        return [.. found.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)];
    }

    public static string Format(string scheme, EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => $"{scheme}://{ip.Address.MapToIPv4()}:{ip.Port}",
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip => $"{scheme}://[{ip.Address}]:{ip.Port}",
        IPEndPoint ip => $"{scheme}://{ip.Address}:{ip.Port}",
        null => $"{scheme}://?",
        _ => $"{scheme}://{endPoint}",
    };
}
