using System.Collections.Concurrent;
using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Receiver;

/// <summary>Socket.InterceptArrivals: arrivals the interceptor takes never reach the receive queue; the rest do.</summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class InterceptArrivalsTests(string transport)
{
    [Test]
    public async Task TakenMessagesSkipTheQueueAndDeclinedOnesReachIt()
    {
        // A receive queue of one that nobody reads while the taken messages arrive: were they queued, the sender
        // would stall after the first.
        await using var receiver = new Socket(new SocketOptions { ReceiveQueueSize = 1 });
        await using var sender = new Socket(new SocketOptions { NoReceive = true });
        var taken = new ConcurrentQueue<string>();
        receiver.InterceptArrivals(message =>
        {
            if (!message.ContentAsString().StartsWith("take:", StringComparison.Ordinal))
            {
                return false;
            }

            taken.Enqueue(message.ContentAsString());
            Assert.That(message.Source.Count, Is.EqualTo(1), "the message has arrived (its pipe is on its source path)");
            message.Dispose();
            return true;
        });

        await sender.DialAsync(await receiver.ListenOnAsync(transport));
        const int Taken = 200;
        for (int i = 0; i < Taken; i++)
        {
            await sender.SendAsync(Encoding.UTF8.GetBytes($"take:{i}"), Wait.Token());
        }

        await sender.SendAsync(Encoding.UTF8.GetBytes("queue me"), Wait.Token());
        using var queued = await receiver.ReceiveAsync(Wait.Token());
        Assert.That(queued.ContentAsString(), Is.EqualTo("queue me"));
        Assert.That(taken, Is.EqualTo(Enumerable.Range(0, Taken).Select(i => $"take:{i}")));
        Assert.That(receiver.TryReceive(out _), Is.False);
    }

    [Test]
    public async Task ASocketThatDoesNotReceiveRefusesAnInterceptor()
    {
        await using var socket = new Socket(new SocketOptions { NoReceive = true });
        Assert.That(() => socket.InterceptArrivals(_ => true), Throws.InvalidOperationException);
    }
}
