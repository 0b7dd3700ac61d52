using Microsoft.Extensions.Logging;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

/// <summary>What a socket writes to <see cref="SocketOptions.Logger"/>, over every transport.</summary>
[TestFixtureSource(typeof(TestAddress), nameof(TestAddress.Transports))]
[CancelAfter(30_000)]
public class SocketLoggingTests(string transport)
{
    [Test]
    public async Task PipeLifecycleIsLoggedAtDebug()
    {
        var logger = new CapturingLogger();
        await using var server = new Socket(new SocketOptions { Logger = logger });
        var events = new PipeEvents(server);
        var address = await server.ListenOnAsync(transport);
        var client = new Socket();
        await client.DialAsync(address);
        var added = await events.WaitAddedAsync();
        await client.DisposeAsync();
        await events.WaitRemovedAsync(added.PipeId);

        var debug = logger.Entries.Where(e => e.Level == LogLevel.Debug).Select(e => e.Message).ToList();
        Assert.That(debug, Has.Some.StartsWith($"Pipe {added.PipeId} added"));
        Assert.That(debug, Has.Some.StartsWith($"Pipe {added.PipeId} removed"));
        Assert.That(logger.Entries.Where(e => e.Level >= LogLevel.Warning), Is.Empty, "an orderly close is no warning");
    }

    [Test]
    public async Task HandlerExceptionsAreLoggedAndIgnored()
    {
        var logger = new CapturingLogger();
        await using var server = new Socket(new SocketOptions { Logger = logger });
        server.PipeAdded += (_, _) => throw new InvalidOperationException("handler bug");
        var address = await server.ListenOnAsync(transport);
        await using var client = new Socket();
        await client.DialAsync(address);
        await client.SendAsync("still served");
        Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("still served"));
        var warning = logger.Entries.Single(e => e.Level == LogLevel.Warning);
        Assert.That(warning.Exception, Is.TypeOf<InvalidOperationException>().With.Message.EqualTo("handler bug"));
    }

    [Test]
    public async Task RefusedConnectionsAreLogged()
    {
        var logger = new CapturingLogger();
        await using var server = new Socket(new SocketOptions { Logger = logger, PipeLimit = 1 });
        var address = await server.ListenOnAsync(transport);
        await using var first = new Socket();
        await first.DialAsync(address);
        await Wait.UntilAsync(() => server.PipeCount == 1, "first accepted");
        await using var second = new Socket(new SocketOptions { Reconnect = false });
        await second.DialAsync(address);
        // The counter goes up just before the entry is written: wait for the entry itself.
        await Wait.UntilAsync(
            () => logger.Entries.Any(e => e.Level == LogLevel.Information && e.Message.Contains("pipe limit of 1")),
            "the refusal is logged");
        Assert.That(server.Statistics.PipesRefused, Is.EqualTo(1));
    }
}
