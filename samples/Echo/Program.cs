// MultiSocket quick start: an echo server with two concurrent receive loops, and a client whose send loop and
// receive loop run independently, over tcp loopback. Exits by itself once every reply has come back.
using System.Text;
using MultiSocket;

const int Requests = 10;
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var ct = timeout.Token;

await using var server = new Socket();
var listener = await server.ListenAsync("tcp://127.0.0.1:0", ct);
Console.WriteLine($"server listening on {listener.BoundAddress}");

// Two receive loops share one socket: each message goes to exactly one of them.
var serving = Enumerable.Range(1, 2).Select(worker => Task.Run(async () =>
{
    await foreach (var request in server.ReceiveAllAsync(ct))
    {
        using (request)
        {
            var reply = Encoding.UTF8.GetBytes($"echo from worker {worker}: {request.ContentAsString()}");
            await server.SendToAsync(request.Source, reply, ct); // the source path routes the reply back
        }
    }
})).ToArray();

await using var client = new Socket();
await client.DialAsync(listener.BoundAddress, ct);

// Sending and receiving are independent loops on the same socket.
var sending = Task.Run(async () =>
{
    for (int i = 1; i <= Requests; i++)
    {
        await client.SendAsync(Encoding.UTF8.GetBytes($"hello #{i}"), ct);
    }
});

int received = 0;
await foreach (var reply in client.ReceiveAllAsync(ct))
{
    using (reply)
    {
        Console.WriteLine($"client got: {reply.ContentAsString()}");
    }

    if (++received == Requests)
    {
        break;
    }
}

await sending;
await client.DisposeAsync();
await server.DisposeAsync(); // ends both receive loops
await Task.WhenAll(serving);
Console.WriteLine($"done: {received} replies");
