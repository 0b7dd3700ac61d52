using System.Diagnostics.CodeAnalysis;
using MultiSocket;

namespace MultiSocket.Bench;

/// <summary>
/// The patterns on the core <see cref="Socket"/> alone: push = send to one, pull = a receive-only socket,
/// req/rep = send + receive / receive + reply along the source path, pub = send to all, best effort.
/// </summary>
internal sealed class CoreSocketPatterns : IMultiSocketPatterns
{
    public string Description => "core Socket (SendAsync / SendAllAsync / SendToAsync(msg.Source))";

    public IBenchSocket Push() => new CoreBenchSocket(new SocketOptions { NoReceive = true }, sendToAll: false);

    public IBenchSocket Pull() => new CoreBenchSocket(new SocketOptions { NoSend = true }, sendToAll: false);

    public IBenchSocket Request() => new CoreBenchSocket(SocketOptions.Default, sendToAll: false);

    public IBenchSocket Reply() => new CoreBenchSocket(SocketOptions.Default, sendToAll: false);

    public IBenchSocket Publish() => new CoreBenchSocket(new SocketOptions { NoReceive = true, BestEffort = true }, sendToAll: true);

    public IBenchSocket Subscribe() => new CoreBenchSocket(new SocketOptions { NoSend = true }, sendToAll: false);

    private sealed class CoreBenchSocket(SocketOptions options, bool sendToAll) : IBenchSocket
    {
        private readonly Socket _socket = new(options);

        public int PeerCount => _socket.PipeCount;

        public async Task<string> ListenAsync(string address) => (await _socket.ListenAsync(address)).BoundAddress;

        public Task DialAsync(string address) => _socket.DialAsync(address);

        public ValueTask SendAsync(ReadOnlyMemory<byte> content) =>
            sendToAll ? _socket.SendAllAsync(content) : _socket.SendAsync(content);

        public ValueTask ReplyAsync(Message request, ReadOnlyMemory<byte> content) => _socket.SendToAsync(request.Source, content);

        public bool TryReceive([NotNullWhen(true)] out Message? message) => _socket.TryReceive(out message);

        public ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken) => _socket.ReceiveAsync(cancellationToken);

        public ValueTask DisposeAsync() => _socket.DisposeAsync();
    }
}
