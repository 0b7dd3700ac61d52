// Publish/subscribe over tcp loopback: two subscribers with different prefixes; the publisher sends each message
// only to the subscribers whose prefixes match (they told it with control messages).
using System.Text;
using MultiSocket.Protocols;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var ct = timeout.Token;

await using var pub = new PublisherSocket();
var listener = await pub.ListenAsync("tcp://127.0.0.1:0", ct);
Console.WriteLine($"publisher listening on {listener.BoundAddress}");

await using var weather = new SubscriberSocket();
weather.Subscribe("weather.");
await weather.DialAsync(listener.BoundAddress, ct);

await using var everything = new SubscriberSocket();
everything.Subscribe("");                           // the empty prefix matches every message
await everything.DialAsync(listener.BoundAddress, ct);

// Subscriptions travel to the publisher asynchronously: wait until it knows both before publishing.
while (pub.SubscriberCount < 2)
{
    await Task.Delay(10, ct);
}

string[] messages = ["weather.paris sunny", "news.local fair opens", "weather.oslo snow", "sport.chess draw"];
foreach (var text in messages)
{
    await pub.PublishAsync(Encoding.UTF8.GetBytes(text), ct);
}

async Task ShowAsync(string name, SubscriberSocket sub, int count)
{
    for (int i = 0; i < count; i++)
    {
        using var message = await sub.ReceiveAsync(ct);
        Console.WriteLine($"{name} got: {message.ContentAsString()}");
    }
}

await ShowAsync("weather subscriber", weather, 2);
await ShowAsync("everything subscriber", everything, 4);
Console.WriteLine($"publisher sent {pub.Sent} copies for {messages.Length} messages (unmatched ones never left), dropped {pub.Dropped}");
return 0;
