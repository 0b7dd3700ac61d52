using System.Net.Sockets;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

/// <summary>Connecting, reconnecting, pipe events, linger and disposal, over every transport.</summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class SocketLifecycleTests(string transport)
{
    private static readonly SocketOptions FastReconnect = new()
    {
        MinReconnectInterval = TimeSpan.FromMilliseconds(10),
        MaxReconnectInterval = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>An address of this transport on which nobody listens (port transports: a port just freed).</summary>
    private string Unbound()
    {
        var address = TestAddress.For(transport);
        if (!address.Contains(":0", StringComparison.Ordinal))
        {
            return address;
        }

        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return address.Replace(":0", $":{port}", StringComparison.Ordinal);
    }

    [Test]
    public async Task PipeEventsCarryIdsAddressesAndDirection()
    {
        await using var server = new Socket();
        await using var client = new Socket();
        var serverEvents = new PipeEvents(server);
        var clientEvents = new PipeEvents(client);
        var address = await server.ListenOnAsync(transport);
        var dialer = await client.DialAsync(address);

        var dialed = await clientEvents.WaitAddedAsync();
        var accepted = await serverEvents.WaitAddedAsync();
        Assert.Multiple(() =>
        {
            Assert.That(dialed.IsDialed, Is.True);
            Assert.That(accepted.IsDialed, Is.False);
            Assert.That(dialed.PipeId, Is.EqualTo(dialer.PipeId));
            Assert.That(client.PipeIds, Is.EqualTo(new[] { dialed.PipeId }));
            Assert.That(server.PipeIds, Is.EqualTo(new[] { accepted.PipeId }));
            Assert.That(dialed.RemoteAddress, Is.EqualTo(address), "the dialer's peer is the listener's address");
            Assert.That(accepted.LocalAddress, Is.EqualTo(address));
            Assert.That(accepted.RemoteAddress, Is.EqualTo(dialed.LocalAddress), "both ends agree on the connection");
            Assert.That(dialed.Error, Is.Null);
            Assert.That(client.Statistics.PipesAdded, Is.EqualTo(1));
            Assert.That(server.Statistics.PipesAdded, Is.EqualTo(1));
        });

        await client.SendAsync("who");
        using (var message = await server.ReceiveAsync(Wait.Token()))
        {
            Assert.That(message.PipeId, Is.EqualTo(accepted.PipeId), "the event's id is the id in the source path");
        }

        await dialer.DisposeAsync();
        var clientRemoved = await clientEvents.WaitRemovedAsync(dialed.PipeId);
        var serverRemoved = await serverEvents.WaitRemovedAsync(accepted.PipeId);
        Assert.Multiple(() =>
        {
            Assert.That(clientRemoved.IsDialed, Is.True);
            Assert.That(clientRemoved.RemoteAddress, Is.EqualTo(address));
            Assert.That(clientRemoved.Error, Is.Null, "an orderly local close");
            Assert.That(serverRemoved.IsDialed, Is.False);
            Assert.That(serverRemoved.Error, Is.Null, "an orderly close by the peer");
            Assert.That(client.PipeCount, Is.Zero);
            Assert.That(server.PipeCount, Is.Zero);
            Assert.That(client.Statistics.PipesRemoved, Is.EqualTo(1));
            Assert.That(server.Statistics.PipesRemoved, Is.EqualTo(1));
            Assert.That(dialer.IsConnected, Is.False);
            Assert.That(dialer.PipeId, Is.Zero);
        });
        Assert.That(serverEvents.All.Select(e => e.Added), Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public async Task DialerReconnectsToANewSocketOnTheSameAddress()
    {
        var first = new Socket();
        var address = await first.ListenOnAsync(transport);   // tcp: the concrete port, reused below
        await using var client = new Socket(FastReconnect);
        var dialer = await client.DialAsync(address);
        _ = first.RunEchoAsync();
        await client.SendAsync("one");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:one"));

        await first.DisposeAsync();
        await Wait.UntilAsync(() => client.PipeCount == 0, "the client's pipe closes with the server");

        await using var second = new Socket();
        var listener = await second.ListenAsync(address);
        Assert.That(listener.BoundAddress, Is.EqualTo(address));
        _ = second.RunEchoAsync();
        await Wait.UntilAsync(() => dialer.IsConnected && second.PipeCount == 1, "the dialer reconnects");
        await client.SendAsync("two");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:two"));
        Assert.That(client.Statistics.PipesAdded, Is.EqualTo(2));
    }

    [Test]
    public async Task SendWaitsForAPeerToConnect()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        var pending = client.SendAsync("early").AsTask();
        Assert.That(pending.IsCompleted, Is.False, "no pipe yet: the send waits");
        await client.DialAsync(address);
        await Wait.ForAsync(pending, "the send completes once a pipe is up");
        Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("early"));
    }

    [Test]
    public async Task LingerDeliversEverythingQueuedBeforeDispose()
    {
        const int count = 1000;
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        var received = new List<string>();
        var receiving = Task.Run(async () =>
        {
            while (received.Count < count)
            {
                using var message = await server.ReceiveAsync(Wait.Token());
                received.Add(message.ContentAsString());
            }
        });

        var client = new Socket(new SocketOptions { Linger = TimeSpan.FromSeconds(10) });
        await client.DialAsync(address);
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync($"{i}");
        }

        await client.DisposeAsync();
        await Wait.ForAsync(receiving, "every queued message arrives");
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, count).Select(i => $"{i}")), "all of them, in order");
    }

    [Test]
    public async Task ReceiveAllEndsWhenTheSocketIsDisposed()
    {
        var socket = new Socket();
        await socket.ListenOnAsync(transport);
        var enumerating = Task.Run(async () =>
        {
            int n = 0;
            await foreach (var message in socket.ReceiveAllAsync())
            {
                message.Dispose();
                n++;
            }

            return n;
        });

        await socket.DisposeAsync();
        Assert.That(await Wait.ForAsync(enumerating, "ReceiveAllAsync completes"), Is.Zero);
        await foreach (var message in socket.ReceiveAllAsync())
        {
            Assert.Fail($"a disposed socket yielded {message}");
        }
    }

    [Test]
    public async Task WhatArrivedBeforeDisposalCanStillBeReceived()
    {
        var server = new Socket();
        var events = new PipeEvents(server);
        var address = await server.ListenOnAsync(transport);
        var client = new Socket();
        await client.DialAsync(address);
        foreach (var text in new[] { "a", "b", "c" })
        {
            await client.SendAsync(text);
        }

        // Once the server's pipe is gone its read loop has handed every message to the receive queue.
        await client.DisposeAsync();
        var added = await events.WaitAddedAsync();
        await events.WaitRemovedAsync(added.PipeId);
        await server.DisposeAsync();

        Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("a"), "ReceiveAsync still hands out what had arrived");
        var rest = new List<string>();
        await foreach (var message in server.ReceiveAllAsync(Wait.Token()))
        {
            using (message)
            {
                rest.Add(message.ContentAsString());
            }
        }

        Assert.That(rest, Is.EqualTo(new[] { "b", "c" }), "ReceiveAllAsync yields the rest, then ends");
        Assert.That(async () => await server.ReceiveAsync(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task ReceiveAfterDisposeThrowsObjectDisposed()
    {
        var socket = new Socket();
        await socket.ListenOnAsync(transport);
        var waiting = socket.ReceiveAsync(Wait.Token()).AsTask();
        await socket.DisposeAsync();
        Assert.That(async () => await waiting, Throws.TypeOf<ObjectDisposedException>(), "a pending receive ends with the socket");
        Assert.That(async () => await socket.ReceiveAsync(), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(socket.TryReceive(out _), Is.False);
        Assert.That(socket.IsDisposed, Is.True);
    }

    [Test]
    public async Task UseAfterDisposeThrowsObjectDisposed()
    {
        var socket = new Socket();
        var address = await socket.ListenOnAsync(transport);
        await socket.DisposeAsync();
        await socket.DisposeAsync(); // twice is fine

        Assert.That(async () => await socket.SendAsync("x"), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(async () => await socket.SendAllAsync(new byte[1]), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(async () => await socket.SendToAsync(new MessagePath(1), new byte[1]), Throws.TypeOf<ObjectDisposedException>());
        var message = Message.Create("owned by the socket");
        Assert.That(async () => await socket.SendMessageAsync(message), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(message.Length, Is.Zero, "SendMessageAsync disposes the message it was given, also when it throws");
        Assert.That(async () => await socket.DialAsync(address), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(async () => await socket.ListenAsync(TestAddress.For(transport)), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task DisposeClosesPipesAndTheirPeersNotice()
    {
        await using var server = new Socket();
        var events = new PipeEvents(server);
        var address = await server.ListenOnAsync(transport);
        var client = new Socket();
        await client.DialAsync(address);
        var added = await events.WaitAddedAsync();
        await client.DisposeAsync();
        Assert.That(client.PipeCount, Is.Zero, "DisposeAsync returns once the pipes are closed");
        var removed = await events.WaitRemovedAsync(added.PipeId);
        Assert.That(removed.Error, Is.Null);
    }

    [Test]
    public async Task DisposingTheListenerKeepsAcceptedPipes()
    {
        await using var server = new Socket();
        var listener = await server.ListenAsync(TestAddress.For(transport));
        var address = listener.BoundAddress;
        await using var client = new Socket(new SocketOptions { Reconnect = false });
        await client.DialAsync(address);
        await Wait.UntilAsync(() => server.PipeCount == 1, "accepted");
        await listener.DisposeAsync();
        await client.SendAsync("still here");
        Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("still here"));
        await using var late = new Socket();
        Assert.That(async () => await late.DialAsync(address), Throws.InstanceOf<SocketException>(), "nobody listens any more");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task DialingAnAddressNobodyListensOnThrows(bool reconnect)
    {
        // Documented (Socket.DialAsync): the first connection attempt's failure is thrown, whatever Reconnect says;
        // Reconnect applies once a pipe existed and closed.
        await using var client = new Socket(FastReconnect with { Reconnect = reconnect });
        var ex = Assert.ThrowsAsync<SocketException>(async () => await client.DialAsync(Unbound()));
        if (transport is "tcp" or "inproc")
        {
            Assert.That(ex!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
        }
        Assert.That(client.PipeCount, Is.Zero);

        // The failed dialer is gone: the socket still dials and works.
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await client.DialAsync(address);
        await client.SendAsync("after");
        Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("after"));
    }

    [Test]
    public async Task WithoutReconnectAClosedPipeStaysClosed()
    {
        var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket(FastReconnect with { Reconnect = false });
        var events = new PipeEvents(client);
        var dialer = await client.DialAsync(address);
        await server.DisposeAsync();
        await events.WaitRemovedAsync(dialer.PipeId == 0 ? events.Added[0].PipeId : dialer.PipeId);
        Assert.That(dialer.IsConnected, Is.False);
        Assert.That(client.PipeCount, Is.Zero);
    }

    [Test]
    public async Task DialCanBeCancelled()
    {
        await using var client = new Socket();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.That(async () => await client.DialAsync(Unbound(), cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ListenHonoursACancelledToken()
    {
        await using var socket = new Socket();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.That(async () => await socket.ListenAsync(TestAddress.For(transport), cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(async () => await socket.DialAsync(TestAddress.For(transport), cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ListeningTwiceOnOneAddressFails()
    {
        await using var first = new Socket();
        var address = await first.ListenOnAsync(transport);
        await using var second = new Socket();
        var ex = Assert.ThrowsAsync<SocketException>(async () => await second.ListenAsync(address));
        Assert.That(ex!.SocketErrorCode, Is.EqualTo(SocketError.AddressAlreadyInUse));
    }

    [Test]
    public async Task DisposeRacingDialsAndSendsEndsCleanly()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync(transport);
        _ = server.RunEchoAsync();
        for (int round = 0; round < 20; round++)
        {
            var client = new Socket(FastReconnect);
            var dials = Enumerable.Range(0, 3).Select(_ => Task.Run(() => client.DialAsync(address))).ToArray();
            var sends = Enumerable.Range(0, 3).Select(i => Task.Run(async () => await client.SendAsync($"r{round}s{i}"))).ToArray();
            var disposing = Task.Run(async () => await client.DisposeAsync());
            await Wait.ForAsync(disposing, "DisposeAsync completes while dials and sends race it");
            foreach (var task in dials.Concat<Task>(sends))
            {
                var outcome = await Task.WhenAny(task, Task.Delay(Wait.Timeout));
                Assert.That(outcome, Is.SameAs(task), "every racing call ends");
                Assert.That(
                    task.IsCompletedSuccessfully || task.Exception?.InnerException is ObjectDisposedException or OperationCanceledException || task.IsCanceled,
                    Is.True,
                    $"ended with {task.Exception?.InnerException}");
            }

            Assert.That(client.PipeCount, Is.Zero, $"round {round}: no pipe outlives the socket");
        }

        await Wait.UntilAsync(() => server.PipeCount == 0, "the server sees every client pipe close");
    }
}

/// <summary>Address validation (transport independent).</summary>
public class SocketAddressTests
{
    [TestCase("nonsense")]
    [TestCase("://127.0.0.1:5555")]
    [TestCase("tcp://")]
    [TestCase("tc p://x:1")]
    public async Task MalformedAddressThrowsFormatException(string address)
    {
        await using var socket = new Socket();
        Assert.That(async () => await socket.DialAsync(address), Throws.TypeOf<FormatException>());
        Assert.That(async () => await socket.ListenAsync(address), Throws.TypeOf<FormatException>());
    }

    [Test]
    public async Task UnknownSchemeThrowsNotSupported()
    {
        await using var socket = new Socket();
        Assert.That(async () => await socket.DialAsync("carrier-pigeon://home"), Throws.TypeOf<NotSupportedException>().With.Message.Contains("carrier-pigeon"));
        Assert.That(async () => await socket.ListenAsync("carrier-pigeon://home"), Throws.TypeOf<NotSupportedException>());
    }

    [TestCase("tcp://127.0.0.1")]
    [TestCase("tcp://127.0.0.1:99999")]
    [TestCase("tcp://127.0.0.1:port")]
    public async Task BadTcpHostPortThrowsArgumentException(string address)
    {
        await using var socket = new Socket();
        Assert.That(async () => await socket.DialAsync(address), Throws.InstanceOf<ArgumentException>());
        Assert.That(async () => await socket.ListenAsync(address), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public async Task DialingPortZeroThrowsArgumentException()
    {
        await using var socket = new Socket();
        Assert.That(async () => await socket.DialAsync("tcp://127.0.0.1:0"), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public async Task NullAddressThrowsArgumentNull()
    {
        await using var socket = new Socket();
        Assert.That(async () => await socket.DialAsync(null!), Throws.TypeOf<ArgumentNullException>());
        Assert.That(async () => await socket.ListenAsync(null!), Throws.TypeOf<ArgumentNullException>());
    }

    [Test]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => _ = new Socket(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Socket(new SocketOptions { SendQueueSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Socket(new SocketOptions { ReceiveQueueSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Socket(new SocketOptions { SendTtl = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Socket(new SocketOptions { PipeLimit = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Socket(new SocketOptions { MinReconnectInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Socket(new SocketOptions { MaxReconnectInterval = TimeSpan.FromMilliseconds(1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Socket(new SocketOptions { Linger = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentNullException>(() => _ = new Socket(new SocketOptions { Transport = null! }));
    }
}
