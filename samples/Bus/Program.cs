// Bus over tcp loopback: three nodes in a full mesh; every message reaches each other node exactly once.
using System.Text;
using MultiSocket.Protocols;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var ct = timeout.Token;
const int Nodes = 3;

var nodes = new BusSocket[Nodes];
var addresses = new string[Nodes];
for (int i = 0; i < Nodes; i++)
{
    nodes[i] = new BusSocket();
    addresses[i] = (await nodes[i].ListenAsync("tcp://127.0.0.1:0", ct)).BoundAddress;
    for (int j = 0; j < i; j++)
    {
        await nodes[i].DialAsync(addresses[j], ct);  // each pair of nodes is connected once
    }
}

while (nodes.Any(n => n.Socket.PipeCount < Nodes - 1))
{
    await Task.Delay(10, ct);
}

for (int i = 0; i < Nodes; i++)
{
    await nodes[i].SendAsync(Encoding.UTF8.GetBytes($"hello from node {i}"), ct);
}

for (int i = 0; i < Nodes; i++)
{
    for (int k = 0; k < Nodes - 1; k++)
    {
        using var message = await nodes[i].ReceiveAsync(ct);
        Console.WriteLine($"node {i} got: {message.ContentAsString()}");
    }
}

foreach (var node in nodes)
{
    await node.DisposeAsync();
}

return 0;
