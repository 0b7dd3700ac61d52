using System.Collections.Concurrent;
using System.Reflection;

namespace MultiSocket.Transport;

/// <summary>
/// The transports sockets can use, by scheme. The built-in transports of the <c>MultiSocket.Transports</c> assembly
/// are found and registered on first use; <see cref="Register"/> adds or replaces one.
/// </summary>
public static class TransportRegistry
{
    private const string BuiltInAssembly = "MultiSocket.Transports";
    private static readonly ConcurrentDictionary<string, ITransport> Transports = new(StringComparer.OrdinalIgnoreCase);
    private static readonly Lazy<bool> BuiltInsLoaded = new(LoadBuiltIns);

    /// <summary>Adds <paramref name="transport"/>, replacing any transport with the same scheme.</summary>
    public static void Register(ITransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _ = BuiltInsLoaded.Value;
        Transports[transport.Scheme] = transport;
    }

    /// <summary>The schemes that have a transport.</summary>
    public static IReadOnlyCollection<string> Schemes
    {
        get
        {
            _ = BuiltInsLoaded.Value;
            return Transports.Keys.OrderBy(s => s, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>The transport for <paramref name="scheme"/>.</summary>
    /// <exception cref="NotSupportedException">No transport serves that scheme.</exception>
    public static ITransport Get(string scheme)
    {
        _ = BuiltInsLoaded.Value;
        if (Transports.TryGetValue(scheme, out var transport))
        {
            return transport;
        }

        var known = string.Join(", ", Schemes);
        throw new NotSupportedException(
            $"No transport for scheme '{scheme}'. Known schemes: {(known.Length == 0 ? "none (is MultiSocket.Transports referenced?)" : known)}.");
    }

    private static bool LoadBuiltIns()
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(BuiltInAssembly));
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return false;
        }

        foreach (var attribute in assembly.GetCustomAttributes<TransportProviderAttribute>())
        {
            var transport = (ITransport)Activator.CreateInstance(attribute.TransportType)!;
            Transports.TryAdd(transport.Scheme, transport);
        }

        return true;
    }
}
