using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

/// <summary>The forwarding device over every transport: both directions, middleware, lifetime.</summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class SwitchTests(string transport)
{
    [Test]
    public void ArgumentsAreValidated()
    {
        var socket = new Socket();
        Assert.Throws<ArgumentNullException>(() => _ = new Switch(null!, socket));
        Assert.Throws<ArgumentNullException>(() => _ = new Switch(socket, null!));
        Assert.Throws<ArgumentException>(() => _ = new Switch(socket, socket));
    }

    private async Task<(Socket Client, Socket Server, Socket Front, Socket Back)> ConnectAsync(List<IAsyncDisposable> owned)
    {
        var server = new Socket();
        var front = new Socket();
        var back = new Socket();
        var client = new Socket();
        owned.AddRange([client, front, back, server]);
        var serverAddress = await server.ListenOnAsync(transport);
        var frontAddress = await front.ListenOnAsync(transport);
        await back.DialAsync(serverAddress);
        await client.DialAsync(frontAddress);
        return (client, server, front, back);
    }

    private static async Task DisposeAllAsync(List<IAsyncDisposable> owned)
    {
        foreach (var item in owned)
        {
            await item.DisposeAsync();
        }
    }

    [Test]
    public async Task AThrowingMiddlewareDropsThatMessageLogsAndKeepsForwarding()
    {
        var owned = new List<IAsyncDisposable>();
        try
        {
            var logger = new CapturingLogger();
            var server = new Socket();
            var front = new Socket(new SocketOptions { Logger = logger });
            var back = new Socket();
            var client = new Socket();
            owned.AddRange([client, front, back, server]);
            await back.DialAsync(await server.ListenOnAsync(transport));
            await client.DialAsync(await front.ListenOnAsync(transport));
            await using var device = new Switch(front, back, message =>
                message.ContentAsString() == "poison" ? throw new InvalidOperationException("cannot digest") : message);

            await client.SendAsync("poison");
            await client.SendAsync("fine");
            Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("fine"));
            Assert.That(device.Completion.IsCompleted, Is.False);
            await Wait.UntilAsync(() => logger.Entries.Any(e => e.Exception is InvalidOperationException), "the middleware failure to be logged");
        }
        finally
        {
            await DisposeAllAsync(owned);
        }
    }

    [Test]
    public async Task MiddlewareSeesChangesAndDropsMessages()
    {
        var owned = new List<IAsyncDisposable>();
        try
        {
            var (client, server, front, back) = await ConnectAsync(owned);
            await using var device = new Switch(front, back, message =>
            {
                if (message.ContentAsString() == "drop me")
                {
                    return null;
                }

                var upper = Message.Create(Encoding.UTF8.GetBytes(message.ContentAsString().ToUpperInvariant()), message.SendType, message.Ttl);
                upper.Source = message.Source;
                upper.Destination = message.Destination;
                message.Dispose();
                return upper;
            });

            await client.SendAsync("drop me");
            await client.SendAsync("hello");
            using var request = await server.ReceiveAsync(Wait.Token());
            Assert.That(request.ContentAsString(), Is.EqualTo("HELLO"), "the dropped message never arrives; the changed one does");
            await server.SendToAsync(request.Source, "reply"u8.ToArray());
            Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("REPLY"), "the reply passes the middleware too");
        }
        finally
        {
            await DisposeAllAsync(owned);
        }
    }

    [Test]
    public async Task DisposingTheSwitchStopsForwardingAndLeavesTheSocketsOpen()
    {
        var owned = new List<IAsyncDisposable>();
        try
        {
            var (client, server, front, back) = await ConnectAsync(owned);
            var device = new Switch(front, back);
            await client.SendAsync("through");
            Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("through"));
            await device.DisposeAsync();
            Assert.That(device.Completion.IsCompleted, Is.True);
            Assert.That(front.IsDisposed || back.IsDisposed, Is.False);

            await client.SendAsync("now held at the front");
            Assert.That(await front.ReceiveTextAsync(), Is.EqualTo("now held at the front"), "the front socket still receives, nobody forwards");
        }
        finally
        {
            await DisposeAllAsync(owned);
        }
    }

    [Test]
    public async Task DisposingASocketEndsForwarding()
    {
        var owned = new List<IAsyncDisposable>();
        try
        {
            var (_, _, front, back) = await ConnectAsync(owned);
            var device = new Switch(front, back);
            owned.Insert(0, device);
            await front.DisposeAsync();
            await back.DisposeAsync();
            await Wait.ForAsync(device.Completion, "the switch stops when its sockets are disposed");
        }
        finally
        {
            await DisposeAllAsync(owned);
        }
    }

    [Test]
    public async Task SendAllPassesThroughToEveryBackPeer()
    {
        await using var server1 = new Socket();
        await using var server2 = new Socket();
        await using var front = new Socket();
        await using var back = new Socket();
        await using var client = new Socket();
        await back.DialAsync(await server1.ListenOnAsync(transport));
        await back.DialAsync(await server2.ListenOnAsync(transport));
        await client.DialAsync(await front.ListenOnAsync(transport));
        await using var device = new Switch(front, back);
        await client.SendAllAsync("fan out"u8.ToArray());
        Assert.That(await server1.ReceiveTextAsync(), Is.EqualTo("fan out"));
        Assert.That(await server2.ReceiveTextAsync(), Is.EqualTo("fan out"));
    }

    [Test]
    public async Task AMessageWithAFullSourcePathDoesNotBreakTheLinkBehindTheSwitch()
    {
        var owned = new List<IAsyncDisposable>();
        try
        {
            var (client, server, front, back) = await ConnectAsync(owned);
            await using var device = new Switch(front, back);

            // 254 hops: the switch's front may still receive it (255 ids), but nobody can receive it after that.
            var longPath = Message.Create("too far");
            longPath.Source = new MessagePath(Enumerable.Range(1, MessagePath.MaxLength - 1).Select(i => (uint)i).ToArray());
            await client.SendMessageAsync(longPath);
            await client.SendAsync("after");

            Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("after"));
            Assert.Multiple(() =>
            {
                Assert.That(back.Statistics.PipesAdded, Is.EqualTo(1), "the switch's link to the server was not torn down");
                Assert.That(back.Statistics.PipesRemoved, Is.Zero);
                Assert.That(back.Statistics.Expired, Is.EqualTo(1), "the message that cannot take another hop is dropped and counted");
            });
        }
        finally
        {
            await DisposeAllAsync(owned);
        }
    }
}
