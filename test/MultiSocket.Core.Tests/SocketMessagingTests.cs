using System.Collections.Concurrent;
using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

/// <summary>Sending and receiving over every transport: echo, replies by source path, fan-out, switches, ttl.</summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class SocketMessagingTests(string transport)
{
    [Test]
    public async Task EchoClientServer()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        var echo = server.RunEchoAsync();
        await using var client = new Socket();
        await client.DialAsync(address);

        for (int i = 0; i < 20; i++)
        {
            await client.SendAsync($"m{i}");
            Assert.That(await client.ReceiveTextAsync(), Is.EqualTo($"echo:m{i}"));
        }

        await server.DisposeAsync();
        await Wait.ForAsync(echo, "the echo loop ends with its socket");
    }

    [Test]
    public async Task ReplyCarriesTheDocumentedMeta()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        await client.SendAsync("hi");
        using var request = await server.ReceiveAsync(Wait.Token());
        Assert.Multiple(() =>
        {
            Assert.That(request.SendType, Is.EqualTo(SendType.ToOne));
            Assert.That(request.Ttl, Is.EqualTo(SocketOptions.DefaultSendTtl - 1));
            Assert.That(request.Source.Count, Is.EqualTo(1));
            Assert.That(request.PipeId, Is.EqualTo(server.PipeIds.Single()));
            Assert.That(request.Destination.IsEmpty, Is.True);
        });

        await server.SendToAsync(request.Source, "reply"u8.ToArray());
        using var reply = await client.ReceiveAsync(Wait.Token());
        Assert.Multiple(() =>
        {
            Assert.That(reply.ContentAsString(), Is.EqualTo("reply"));
            Assert.That(reply.SendType, Is.EqualTo(SendType.ToDestination));
            Assert.That(reply.Destination.IsEmpty, Is.True, "the reply's route is used up on arrival");
            Assert.That(reply.PipeId, Is.EqualTo(client.PipeIds.Single()));
        });
    }

    [Test]
    public async Task TwoClientsEachGetTheirOwnReplies()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        _ = server.RunEchoAsync();
        await using var alice = new Socket();
        await using var bob = new Socket();
        await alice.DialAsync(address);
        await bob.DialAsync(address);

        for (int i = 0; i < 10; i++)
        {
            await alice.SendAsync($"alice{i}");
            await bob.SendAsync($"bob{i}");
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.That(await alice.ReceiveTextAsync(), Is.EqualTo($"echo:alice{i}"));
            Assert.That(await bob.ReceiveTextAsync(), Is.EqualTo($"echo:bob{i}"));
        }

        Assert.That(alice.TryReceive(out _), Is.False);
        Assert.That(bob.TryReceive(out _), Is.False);
    }

    [Test]
    public async Task ConcurrentReceiversGetEachMessageExactlyOnce()
    {
        const int count = 2000;
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        var seen = new ConcurrentDictionary<int, int>();
        int total = 0;
        var consumers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await foreach (var message in server.ReceiveAllAsync())
            {
                using (message)
                {
                    seen.AddOrUpdate(int.Parse(message.ContentAsString()), 1, (_, n) => n + 1);
                    Interlocked.Increment(ref total);
                }
            }
        })).ToArray();

        await using var client = new Socket();
        await client.DialAsync(address);
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync(i.ToString());
        }

        await Wait.UntilAsync(() => Volatile.Read(ref total) >= count, $"{count} messages received");
        await server.DisposeAsync();
        await Wait.ForAsync(Task.WhenAll(consumers), "every ReceiveAllAsync ends when the socket is disposed");

        Assert.That(total, Is.EqualTo(count));
        Assert.That(seen.Keys.Order(), Is.EqualTo(Enumerable.Range(0, count)));
        Assert.That(seen.Values, Is.All.EqualTo(1));
    }

    [Test]
    public async Task SendAllReachesEveryPeer()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        var clients = new List<Socket>();
        try
        {
            await DialClientsAsync(server, address, clients, 3);
            for (int i = 0; i < 5; i++)
            {
                await server.SendAllAsync(Encoding.UTF8.GetBytes($"all{i}"));
            }

            foreach (var client in clients)
            {
                for (int i = 0; i < 5; i++)
                {
                    using var message = await client.ReceiveAsync(Wait.Token());
                    Assert.That(message.ContentAsString(), Is.EqualTo($"all{i}"));
                    Assert.That(message.SendType, Is.EqualTo(SendType.ToAll));
                    Assert.That(message.Source.Count, Is.EqualTo(1));
                }

                Assert.That(client.TryReceive(out _), Is.False, "each peer gets each message once");
            }
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Test]
    public async Task SendToOneIsRoundRobin()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        var clients = new List<Socket>();
        try
        {
            await DialClientsAsync(server, address, clients, 3);
            for (int i = 0; i < 30; i++)
            {
                await server.SendAsync($"{i}");
            }

            // Nothing is full, so every peer takes its turn: 30 messages, 10 each.
            foreach (var client in clients)
            {
                for (int i = 0; i < 10; i++)
                {
                    using var message = await client.ReceiveAsync(Wait.Token());
                }
            }
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    /// <summary>client -> front1 [switch1] back1 -> front2 [switch2] back2 -> server.</summary>
    private sealed class SwitchChain : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];

        public required Socket Server { get; init; }

        public required Switch First { get; init; }

        public required Switch Second { get; init; }

        public required string Entry { get; init; }

        public static async Task<SwitchChain> CreateAsync(string transport, SocketOptions? middleOptions = null)
        {
            var owned = new List<IAsyncDisposable>();
            var server = new Socket();
            owned.Add(server);
            var serverAddress = await server.ListenOnAsync(transport);

            async Task<(Switch, string)> Stage(string next)
            {
                var front = new Socket(middleOptions ?? SocketOptions.Default);
                var back = new Socket(middleOptions ?? SocketOptions.Default);
                owned.Add(front);
                owned.Add(back);
                var frontAddress = await front.ListenOnAsync(transport);
                await back.DialAsync(next);
                var device = new Switch(front, back);
                owned.Add(device);
                return (device, frontAddress);
            }

            var (second, secondAddress) = await Stage(serverAddress);
            var (first, firstAddress) = await Stage(secondAddress);
            var chain = new SwitchChain { Server = server, First = first, Second = second, Entry = firstAddress };
            chain._owned.AddRange(owned);
            return chain;
        }

        public async ValueTask DisposeAsync()
        {
            // Switches first (they stop forwarding), then the sockets.
            foreach (var item in _owned.OfType<Switch>().Concat(_owned.Where(o => o is not Switch)))
            {
                await item.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task ReplyThroughTwoSwitches()
    {
        await using var chain = await SwitchChain.CreateAsync(transport);
        await using var alice = new Socket();
        await using var bob = new Socket();
        await alice.DialAsync(chain.Entry);
        await bob.DialAsync(chain.Entry);

        await alice.SendAsync("from alice");
        await bob.SendAsync("from bob");
        for (int i = 0; i < 2; i++)
        {
            using var request = await chain.Server.ReceiveAsync(Wait.Token());
            Assert.That(request.Source.Count, Is.EqualTo(3), "one id per receiving pipe: switch1 front, switch2 front, server");
            Assert.That(request.Ttl, Is.EqualTo(SocketOptions.DefaultSendTtl - 3));
            await chain.Server.SendToAsync(request.Source, Encoding.UTF8.GetBytes("re: " + request.ContentAsString()));
        }

        using (var reply = await alice.ReceiveAsync(Wait.Token()))
        {
            Assert.That(reply.ContentAsString(), Is.EqualTo("re: from alice"));
            Assert.That(reply.Destination.IsEmpty, Is.True);
            Assert.That(reply.Source.Count, Is.EqualTo(3));
        }

        Assert.That(await bob.ReceiveTextAsync(), Is.EqualTo("re: from bob"));
    }

    [Test]
    public async Task MessageWhoseTtlRunsOutInASwitchIsExpired()
    {
        await using var chain = await SwitchChain.CreateAsync(transport);
        await using var client = new Socket(new SocketOptions { SendTtl = 2 });
        await client.DialAsync(chain.Entry);

        // ttl 2: switch1's front receives it at 1 and forwards; switch2's front receives it at 0 and drops it.
        await client.SendAsync("short-lived");
        await Wait.UntilAsync(() => chain.Second.Back.Statistics.Expired == 1, "switch2 expires the message");
        Assert.That(chain.First.Back.Statistics.Expired, Is.Zero);

        // A message with enough ttl, sent after the drop, is the first and only one the server sees.
        await using var control = new Socket(new SocketOptions { SendTtl = 3 });
        await control.DialAsync(chain.Entry);
        await control.SendAsync("just enough");
        using var arrived = await chain.Server.ReceiveAsync(Wait.Token());
        Assert.That(arrived.ContentAsString(), Is.EqualTo("just enough"));
        Assert.That(arrived.Ttl, Is.Zero);
        Assert.That(chain.Server.TryReceive(out _), Is.False);
    }

    [Test]
    public async Task ForwardingAMessageWithTtlZeroCountsExpired()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        var message = Message.Create("dead");
        message.Ttl = 0;
        await client.SendMessageAsync(message);
        Assert.That(client.Statistics.Expired, Is.EqualTo(1));
    }

    [Test]
    public async Task SendToAGonePipeCountsUnroutable()
    {
        await using var server = new Socket();
        var events = new PipeEvents(server);
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        var dialer = await client.DialAsync(address);
        await client.SendAsync("hi");
        MessagePath source;
        using (var request = await server.ReceiveAsync(Wait.Token()))
        {
            source = request.Source;
        }

        await dialer.DisposeAsync();
        await events.WaitRemovedAsync(source.First);
        await server.SendToAsync(source, "too late"u8.ToArray());
        Assert.That(server.Statistics.Unroutable, Is.EqualTo(1));

        await server.SendToAsync(new MessagePath(12345), "nobody"u8.ToArray());
        Assert.That(server.Statistics.Unroutable, Is.EqualTo(2));
    }

    [Test]
    public async Task SendToAnEmptyPathIsRejected()
    {
        await using var socket = new Socket();
        Assert.That(async () => await socket.SendToAsync(MessagePath.Empty, "x"u8.ToArray()), Throws.ArgumentException);
    }

    [Test]
    public async Task SendMessageForwardsAsItStands()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        var message = Message.Create(5);
        "12345"u8.CopyTo(message.WritableContent.Span);
        message.Flags = MessageFlags.Protocol1;
        message.Ttl = 9;
        await client.SendMessageAsync(message);
        using var arrived = await server.ReceiveAsync(Wait.Token());
        Assert.That(arrived.ContentAsString(), Is.EqualTo("12345"));
        Assert.That(arrived.Flags, Is.EqualTo(MessageFlags.Protocol1));
        Assert.That(arrived.Ttl, Is.EqualTo(8));
    }

    [TestCase(200_000u, 0u)]
    [TestCase(SocketOptions.DefaultMaxReceiveContentLength, SocketOptions.DefaultMaxReceiveContentLength)]
    public async Task LargeMessagesWithinTheLimitArrive(uint size, uint limit)
    {
        await using var server = new Socket(new SocketOptions { MaxReceiveContentLength = limit });
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        var content = new byte[size];
        new Random((int)size).NextBytes(content);
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync(content);
        }

        for (int i = 0; i < 3; i++)
        {
            using var message = await server.ReceiveAsync(Wait.Token());
            Assert.That(message.Content.ToArray(), Is.EqualTo(content));
        }

        Assert.That(server.Statistics.PipesRemoved, Is.Zero);
    }

    [Test]
    public async Task ReceiveHonoursCancellation()
    {
        await using var socket = new Socket();
        await socket.ListenOnAsync(transport);
        using var cts = new CancellationTokenSource();
        var receiving = socket.ReceiveAsync(cts.Token).AsTask();
        var enumerating = Task.Run(async () =>
        {
            await foreach (var message in socket.ReceiveAllAsync(cts.Token))
            {
                message.Dispose();
            }
        });
        Assert.That(receiving.IsCompleted, Is.False);
        cts.Cancel();
        Assert.That(async () => await receiving, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(async () => await enumerating, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(socket.IsDisposed, Is.False);
    }

    [Test]
    public async Task PendingSendEndsWithObjectDisposedWhenTheSocketIsDisposed()
    {
        var socket = new Socket();
        var waiting = socket.SendAsync("nobody to take it").AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "no pipe: the send waits");
        await socket.DisposeAsync();
        Assert.That(async () => await waiting, Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task ManyClientsSendingConcurrentlyEachGetEveryReply()
    {
        const int clients = 20;
        const int perClient = 100;
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        var echo = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => server.RunEchoAsync()));
        var sockets = new List<Socket>();
        try
        {
            for (int c = 0; c < clients; c++)
            {
                var client = new Socket();
                sockets.Add(client);
                await client.DialAsync(address);
            }

            var conversations = sockets.Select((client, c) => Task.Run(async () =>
            {
                var sending = Task.Run(async () =>
                {
                    for (int i = 0; i < perClient; i++)
                    {
                        await client.SendAsync($"{c}:{i}");
                    }
                });
                var replies = new List<string>();
                for (int i = 0; i < perClient; i++)
                {
                    replies.Add(await client.ReceiveTextAsync());
                }

                await sending;
                return replies;
            })).ToArray();

            var all = await Wait.ForAsync(Task.WhenAll(conversations), "every client gets every reply");
            for (int c = 0; c < clients; c++)
            {
                Assert.That(all[c].Order(), Is.EquivalentTo(Enumerable.Range(0, perClient).Select(i => $"echo:{c}:{i}")), $"client {c}");
            }
        }
        finally
        {
            foreach (var client in sockets)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task ConcurrentSendersOnOneSocketLoseNothing()
    {
        const int senders = 4;
        const int perSender = 500;
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        var sending = Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            for (int i = 0; i < perSender; i++)
            {
                await client.SendAsync($"{s}:{i}");
            }
        })));

        var lastBySender = new int[senders];
        Array.Fill(lastBySender, -1);
        for (int n = 0; n < senders * perSender; n++)
        {
            var parts = (await server.ReceiveTextAsync()).Split(':');
            int s = int.Parse(parts[0]);
            int i = int.Parse(parts[1]);
            Assert.That(i, Is.EqualTo(lastBySender[s] + 1), "one pipe keeps each sender's order");
            lastBySender[s] = i;
        }

        await Wait.ForAsync(sending, "all sends complete");
        Assert.That(lastBySender, Is.All.EqualTo(perSender - 1));
    }

    [Test]
    public async Task CallerMayReuseItsBufferOnceSendReturns()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        var buffer = new byte[3];
        for (byte i = 0; i < 50; i++)
        {
            buffer.AsSpan().Fill(i);
            await client.SendAsync(buffer);
        }

        for (byte i = 0; i < 50; i++)
        {
            using var message = await server.ReceiveAsync(Wait.Token());
            Assert.That(message.Content.ToArray(), Is.EqualTo(new[] { i, i, i }));
        }
    }

    /// <summary>Dials <paramref name="count"/> new sockets (added to <paramref name="clients"/>) to the server.</summary>
    private static async Task DialClientsAsync(Socket server, string address, List<Socket> clients, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var client = new Socket();
            clients.Add(client);
            await client.DialAsync(address);
        }

        await Wait.UntilAsync(() => server.PipeCount == count, $"{count} pipes on the server");
    }

    private static async Task DisposeAllAsync(IEnumerable<Socket> sockets)
    {
        foreach (var socket in sockets)
        {
            await socket.DisposeAsync();
        }
    }
}
