using System.Collections.Concurrent;

namespace MultiSocket.Transports.Tests;

/// <summary>A socket that answers every message with "echo:" + its content, and records removed pipes.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly Task _loop;

    private EchoServer(Socket socket, string address)
    {
        Socket = socket;
        Address = address;
        socket.PipeRemoved += (_, e) => Removed.Enqueue(e);
        _loop = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in socket.ReceiveAllAsync())
                {
                    using (message)
                    {
                        Received.Enqueue(message.ContentAsString());
                        byte[] reply = [.. "echo:"u8, .. message.Content.Span];
                        await socket.SendToAsync(message.Source, reply);
                    }
                }
            }
            catch (ObjectDisposedException)
            {
            }
        });
    }

    public Socket Socket { get; }

    /// <summary>The bound address to dial.</summary>
    public string Address { get; }

    public ConcurrentQueue<PipeEventArgs> Removed { get; } = new();

    /// <summary>The content of every message received, as text, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public static async Task<EchoServer> StartAsync(string listenAddress, SocketOptions? options = null)
    {
        var socket = new Socket(options ?? SocketOptions.Default);
        var listener = await socket.ListenAsync(listenAddress);
        return new EchoServer(socket, listener.BoundAddress);
    }

    public async ValueTask DisposeAsync()
    {
        await Socket.DisposeAsync();
        await _loop;
    }
}
