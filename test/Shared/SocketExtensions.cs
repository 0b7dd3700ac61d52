using System.Text;

namespace MultiSocket.Testing;

/// <summary>Shortcuts that keep tests readable.</summary>
public static class SocketTestExtensions
{
    public static ValueTask SendAsync(this Socket socket, string text, CancellationToken ct = default) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), ct);

    /// <summary>Receives one message (bounded wait), returns its text and disposes it.</summary>
    public static async Task<string> ReceiveTextAsync(this Socket socket, TimeSpan? timeout = null)
    {
        using var message = await socket.ReceiveAsync(Wait.Token(timeout));
        return message.ContentAsString();
    }

    /// <summary>Listens on a fresh address of <paramref name="transport"/>; returns the bound address to dial.</summary>
    public static async Task<string> ListenOnAsync(this Socket socket, string transport)
    {
        var listener = await socket.ListenAsync(TestAddress.For(transport));
        return listener.BoundAddress;
    }
}

/// <summary>Servers for tests.</summary>
public static class TestServers
{
    /// <summary>
    /// Runs a receive loop that answers every message with "echo:" + its text along its source path, until the
    /// socket is disposed. <paramref name="received"/>, if given, sees each message first.
    /// </summary>
    public static Task RunEchoAsync(this Socket socket, Action<Message>? received = null) => Task.Run(async () =>
    {
        try
        {
            await foreach (var message in socket.ReceiveAllAsync())
            {
                using (message)
                {
                    received?.Invoke(message);
                    await socket.SendToAsync(message.Source, Encoding.UTF8.GetBytes("echo:" + message.ContentAsString()));
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
    });
}
