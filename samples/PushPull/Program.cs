// Push/pull (pipeline) over tcp loopback: a pusher hands out 30 jobs round robin to three pulling workers.
using System.Text;
using MultiSocket.Protocols;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var ct = timeout.Token;
const int Jobs = 30;

await using var push = new PushSocket();
var listener = await push.ListenAsync("tcp://127.0.0.1:0", ct);
Console.WriteLine($"pusher listening on {listener.BoundAddress}");

var done = new int[3];
var pullers = new List<PullSocket>();
var workers = new List<Task>();
for (int w = 0; w < 3; w++)
{
    var pull = new PullSocket();
    pullers.Add(pull);
    await pull.DialAsync(listener.BoundAddress, ct);
    int worker = w;
    workers.Add(Task.Run(async () =>
    {
        await foreach (var job in pull.ReceiveAllAsync(ct))
        {
            using (job)
            {
                Interlocked.Increment(ref done[worker]);
            }
        }
    }));
}

// Wait until the pusher has accepted all three, so the very first jobs are shared too.
while (push.Socket.PipeCount < 3)
{
    await Task.Delay(10, ct);
}

for (int j = 0; j < Jobs; j++)
{
    await push.SendAsync(Encoding.UTF8.GetBytes($"job {j}"), ct);
}

while (done.Sum() < Jobs)
{
    await Task.Delay(10, ct);
}

for (int w = 0; w < 3; w++)
{
    Console.WriteLine($"worker {w} did {done[w]} jobs");
    await pullers[w].DisposeAsync();
}

return 0;
