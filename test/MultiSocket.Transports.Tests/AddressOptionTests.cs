using MultiSocket.Testing;

namespace MultiSocket.Transports.Tests;

public class AddressOptionTests
{
    [TestCase("tcp://127.0.0.1:0?Bogus=1", "unknown option 'Bogus'")]
    [TestCase("tcp://127.0.0.1:0?MaxRecvContentLength=lots", "invalid value 'lots' for option 'MaxRecvContentLength'")]
    [TestCase("tcp://127.0.0.1:0?NoDelay=maybe", "invalid value 'maybe' for option 'NoDelay'")]
    [TestCase("tcp://127.0.0.1:0?MinReconnectTime=soon", "invalid value 'soon'")]
    [TestCase("tcp://127.0.0.1:0?MinReconnectTime=10s&MaxReconnectTime=1s", "minimum reconnect interval")]
    [TestCase("tcp://127.0.0.1:0#dial", "says #dial")]
    [TestCase("tcp://127.0.0.1:0#later", "connect type '#later'")]
    [TestCase("inproc://raw-nonsense?Raw=true", "inproc carries whole messages")]
    public async Task BadOptionsAreRejectedWithAClearMessage(string address, string expected)
    {
        await using var socket = new Socket();
        var ex = Assert.ThrowsAsync<ArgumentException>(() => socket.ListenAsync(address));
        Assert.That(ex!.Message, Does.Contain(expected));
        Assert.That(socket.PipeCount, Is.Zero);
    }

    [Test]
    public async Task GoStyleLongNamesAreAccepted()
    {
        await using var socket = new Socket();
        var listener = await socket.ListenAsync(
            "tcp://127.0.0.1:0?Connector.Pipe.MaxRecvContentLength=4&Transport.TCP.NoDelay=false&Connector.Pipe.ReadBuffer=4096");
        await using var client = new Socket();
        await client.DialAsync(listener.BoundAddress + "?Connector.Dialer.Reconnect=false&KeepAlive=true&SendBufferSize=65536");
        await client.SendAsync("four");
        Assert.That(await socket.ReceiveTextAsync(), Is.EqualTo("four"));
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task MaxRecvContentLengthPerAddressOverridesTheSocketOption(string transport)
    {
        await using var server = await EchoServer.StartAsync(TestAddress.For(transport) + "?MaxRecvContentLength=4");
        await using var client = new Socket();
        await client.DialAsync(server.Address + (transport == "ws" ? "" : ""));
        await client.SendAsync("four");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:four"));
        await client.SendAsync("fiver");
        await Wait.UntilAsync(() => !server.Removed.IsEmpty, "the pipe that sent too much to close");
        Assert.That(server.Removed.Single().Error, Is.TypeOf<FrameException>().With.Property(nameof(FrameException.Error)).EqualTo(FrameError.ContentTooLong));
    }

    [Test]
    public async Task ConnectAsyncListensOrDialsByFragment()
    {
        await using var server = new Socket();
        var listener = (Listener)await server.ConnectAsync("tcp://127.0.0.1:0#listen");
        await using var client = new Socket();
        var dialer = (Dialer)await client.ConnectAsync(listener.BoundAddress + "?Reconnect=false#dial");
        Assert.That(dialer.IsConnected);
        await client.SendAsync("via fragments");
        Assert.That(await server.ReceiveTextAsync(), Is.EqualTo("via fragments"));
    }

    [Test]
    public async Task ConnectAsyncWithoutFragmentSaysWhatIsMissing()
    {
        await using var socket = new Socket();
        var ex = Assert.ThrowsAsync<ArgumentException>(() => socket.ConnectAsync("tcp://127.0.0.1:0"));
        Assert.That(ex!.Message, Does.Contain("#dial or #listen"));
    }

    [Test]
    public async Task ReconnectOffPerAddressLeavesTheDialerDisconnected()
    {
        await using var server = new Socket();
        var listener = await server.ListenAsync("tcp://127.0.0.1:0");
        await using var client = new Socket();
        var dialer = await client.DialAsync(listener.BoundAddress + "?Reconnect=false");
        await Wait.UntilAsync(() => server.PipeCount == 1, "the server to accept");
        await listener.DisposeAsync();
        await server.DisposeAsync();
        await Wait.UntilAsync(() => !dialer.IsConnected, "the pipe to close");
        Assert.That(client.Statistics.PipesAdded, Is.EqualTo(1));
    }
}
