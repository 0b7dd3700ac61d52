// Stream: a StreamSocket serves plain HTTP clients through raw pipes. The handler sees each connection open, reads
// its request bytes, writes a response and closes; HttpClient (which knows nothing of MultiSocket) fetches a page.
using System.Text;
using MultiSocket.Protocols;

await using var server = new StreamSocket();
var listener = await server.ListenAsync("tcp://127.0.0.1:0");
var port = new Uri(listener.BoundAddress.Replace("tcp://", "http://", StringComparison.Ordinal)).Port;
Console.WriteLine($"serving HTTP on {listener.BoundAddress}");

var serving = Task.Run(async () =>
{
    await foreach (var connection in server.AcceptAllAsync())
    {
        _ = Task.Run(async () =>
        {
            Console.WriteLine($"  + connection {connection.Id} from {connection.RemoteAddress}");
            var request = new StringBuilder();
            await foreach (var chunk in connection.ReceiveAllAsync())
            {
                using (chunk)
                {
                    request.Append(chunk.ContentAsString());
                }

                if (request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var firstLine = request.ToString().Split("\r\n")[0];
            var body = $"Hello from MultiSocket! You asked: {firstLine}\n";
            var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
            await connection.SendAsync(Encoding.UTF8.GetBytes(response));
            await connection.CloseAsync();
            await connection.Completion;
            Console.WriteLine($"  - connection {connection.Id} closed");
        });
    }
});

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
for (int i = 1; i <= 2; i++)
{
    var page = await http.GetStringAsync($"http://127.0.0.1:{port}/page/{i}");
    Console.Write($"HttpClient got: {page}");
}

await server.DisposeAsync();
await serving;
Console.WriteLine("done");
