using MultiSocket.Testing;

namespace MultiSocket.Tools.Tests.Mscat;

/// <summary>The transports a separate process can reach: every test transport but inproc.</summary>
internal static class MscatTransports
{
    public static readonly string[] CrossProcess = [.. TestAddress.Transports.Where(t => t != "inproc")];
}
