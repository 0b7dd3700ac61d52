// Pair over tcp loopback: two peers exchange messages; a third one is refused while the pair is taken.
using System.Text;
using MultiSocket;
using MultiSocket.Protocols;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var ct = timeout.Token;

await using var left = new PairSocket();
var listener = await left.ListenAsync("tcp://127.0.0.1:0", ct);
Console.WriteLine($"left listening on {listener.BoundAddress}");

await using var right = new PairSocket();
await right.DialAsync(listener.BoundAddress, ct);

for (int i = 0; i < 3; i++)
{
    await right.SendAsync(Encoding.UTF8.GetBytes($"ping {i}"), ct);
    using var ping = await left.ReceiveAsync(ct);
    await left.SendAsync(Encoding.UTF8.GetBytes(ping.ContentAsString().Replace("ping", "pong")), ct);
    using var pong = await right.ReceiveAsync(ct);
    Console.WriteLine($"{ping.ContentAsString()} -> {pong.ContentAsString()}");
}

// A third peer: its connection is accepted by tcp but refused by the pair socket, which already has its peer.
await using var intruder = new PairSocket(new SocketOptions { Reconnect = false });
await intruder.DialAsync(listener.BoundAddress, ct);
while (left.Socket.Statistics.PipesRefused == 0)
{
    await Task.Delay(10, ct);
}

Console.WriteLine($"third peer refused: left still has {left.Socket.PipeCount} peer");
return 0;
