namespace MultiSocket.Testing;

/// <summary>Addresses for tests: unique inproc names, port 0 on loopback, fresh unix socket paths.</summary>
public static class TestAddress
{
    private static int _counter;

    /// <summary>The transports every behavioural suite runs over (extended as transports are added).</summary>
    public static readonly string[] Transports = ["inproc", "ipc", "tcp", "ws"];

    /// <summary>A listen address for <paramref name="transport"/> that no other test uses.</summary>
    public static string For(string transport) => transport switch
    {
        "inproc" => $"inproc://test-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}",
        "tcp" => "tcp://127.0.0.1:0",
        "ipc" => $"ipc://{Path.Combine(Path.GetTempPath(), $"ms-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}.sock")}",
        "ws" => $"ws://127.0.0.1:0/t{Interlocked.Increment(ref _counter)}",
        _ => throw new ArgumentException($"Unknown transport {transport}", nameof(transport)),
    };
}
