using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Receiver;

/// <summary>
/// A receive queue that fills up makes pipes wait (on pooled waiters) until a consumer takes a message; nothing is
/// lost, order per pipe is kept, and a waiting pipe still closes when aborted or when the socket is disposed.
/// </summary>
public class ReceiveBackpressureTests
{
    private const int Count = 300;

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task SlowConsumerGetsEveryMessageInOrder(string transport)
    {
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 2 });
        await using var sender = new Socket(new SocketOptions { NoReceive = true });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));

        var sending = Task.Run(async () =>
        {
            for (int i = 0; i < Count; i++)
            {
                await sender.SendAsync(BitConverter.GetBytes(i));
            }
        });

        for (int i = 0; i < Count; i++)
        {
            using var message = i % 10 != 5 ? await receiver.ReceiveAsync(Wait.Token()) : await TakeAsync(receiver);
            Assert.That(BitConverter.ToInt32(message.Content.Span), Is.EqualTo(i));
        }

        await Wait.ForAsync(sending, "all sends queued");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ManyPipesIntoAFullQueueAllDeliver(string transport)
    {
        const int senders = 4;
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        string address = await receiver.ListenOnAsync(transport);
        var sockets = new List<Socket>();
        try
        {
            for (int s = 0; s < senders; s++)
            {
                var sender = new Socket(new SocketOptions { NoReceive = true });
                sockets.Add(sender);
                await sender.DialAsync(address);
            }

            var sending = Task.WhenAll(sockets.Select(sender => Task.Run(async () =>
            {
                for (int i = 0; i < Count / senders; i++)
                {
                    await sender.SendAsync(BitConverter.GetBytes(i));
                }
            })));

            int received = 0;
            await foreach (var message in receiver.ReceiveAllAsync(Wait.Token()))
            {
                message.Dispose();
                if (++received == Count / senders * senders)
                {
                    break;
                }
            }

            Assert.That(received, Is.EqualTo(Count / senders * senders));
            await Wait.ForAsync(sending, "all sends queued");
        }
        finally
        {
            foreach (var sender in sockets)
            {
                await sender.DisposeAsync();
            }
        }
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task DisposeEndsAPipeWaitingForRoom(string transport)
    {
        var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1, Linger = TimeSpan.FromMilliseconds(200) });
        await using var sender = new Socket(new SocketOptions { NoReceive = true });
        await sender.DialAsync(await receiver.ListenOnAsync(transport));
        for (int i = 0; i < 20; i++)
        {
            await sender.SendAsync(BitConverter.GetBytes(i));
        }

        // The first message fills the queue; the pipe waits with the next one until the socket goes away.
        using (var first = await receiver.ReceiveAsync(Wait.Token()))
        {
            Assert.That(BitConverter.ToInt32(first.Content.Span), Is.Zero);
        }

        await Wait.UntilAsync(() => receiver.TryReceive(out var next) && Dispose(next), "the queue to fill again");
        await Wait.ForAsync(receiver.DisposeAsync().AsTask(), "dispose with a pipe waiting for room");
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task AbortEndsAPipeWaitingForRoom(string transport)
    {
        await using var server = new Socket(new SocketOptions { NoReceive = true });
        await using var receiver = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        string address = await server.ListenOnAsync(transport);
        var dialer = await receiver.DialAsync(address);
        await Wait.UntilAsync(() => server.PipeCount == 1, "the server to see the pipe");
        for (int i = 0; i < 20; i++)
        {
            await server.SendAsync(BitConverter.GetBytes(i));
        }

        await Wait.UntilAsync(() => receiver.TryReceive(out var next) && Dispose(next), "the queue to fill");
        await dialer.DisposeAsync();
        await Wait.UntilAsync(() => receiver.PipeCount == 0, "the aborted pipe to leave while waiting for room");
    }

    /// <summary>Takes with TryReceive (the other consumer path), polling until a message is there.</summary>
    private static async Task<Message> TakeAsync(Socket socket)
    {
        Message? taken = null;
        await Wait.UntilAsync(() => socket.TryReceive(out taken), "a message to take");
        return taken!;
    }

    private static bool Dispose(Message message)
    {
        message.Dispose();
        return true;
    }
}
