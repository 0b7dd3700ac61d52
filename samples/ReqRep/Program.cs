// Request/reply over tcp loopback: a replier with two workers answers requests sent concurrently by four client
// tasks; each reply finds its request by the request id the socket puts in front of the content.
using System.Text;
using MultiSocket.Protocols;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var ct = timeout.Token;

await using var rep = new ReplySocket();
var listener = await rep.ListenAsync("tcp://127.0.0.1:0", ct);
Console.WriteLine($"replier listening on {listener.BoundAddress}");

// Two workers share the socket: each request goes to one of them; replies may go back in any order.
var workers = Enumerable.Range(1, 2).Select(worker => Task.Run(async () =>
{
    await foreach (var request in rep.ReceiveRequestsAsync(ct))
    {
        using (request)
        {
            int n = int.Parse(request.ContentAsString());
            await request.ReplyAsync(Encoding.UTF8.GetBytes($"{n} squared is {n * n} (worker {worker})"), ct);
        }
    }
})).ToArray();

await using var req = new RequestSocket(requestOptions: new RequestOptions { Timeout = TimeSpan.FromSeconds(5) });
await req.DialAsync(listener.BoundAddress, ct);

var clients = Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
{
    for (int i = 0; i < 3; i++)
    {
        int n = client * 10 + i;
        using var reply = await req.RequestAsync(Encoding.UTF8.GetBytes(n.ToString()), ct);
        Console.WriteLine($"client {client}: {reply.ContentAsString()}");
    }
})).ToArray();

await Task.WhenAll(clients);
Console.WriteLine("all requests answered");
return 0;
