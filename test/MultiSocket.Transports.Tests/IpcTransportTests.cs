using System.Net.Sockets;
using MultiSocket.Testing;

namespace MultiSocket.Transports.Tests;

public class IpcTransportTests
{
    [Test]
    public async Task StaleSocketFileFromACrashedProcessDoesNotBlockANewListener()
    {
        var address = TestAddress.For("ipc");
        var path = address["ipc://".Length..];

        // What a crashed process leaves: a bound unix socket file with nobody listening. Close only the descriptor, as
        // the kernel does for a dead process; disposing the Socket would tidy the file away.
        var crashed = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        crashed.Bind(new UnixDomainSocketEndPoint(path));
        crashed.SafeHandle.Dispose();
        GC.SuppressFinalize(crashed);

        Assert.That(File.Exists(path), "precondition: the stale file is there");
        await using var server = await EchoServer.StartAsync(address);
        await using var client = new Socket();
        await client.DialAsync(server.Address);
        await client.SendAsync("fresh");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:fresh"));
    }

    [Test]
    public async Task ListeningWhereSomeoneLiveListensFailsAndLeavesTheirFileAlone()
    {
        await using var server = await EchoServer.StartAsync(TestAddress.For("ipc"));
        await using var second = new Socket();
        var ex = Assert.ThrowsAsync<SocketException>(() => second.ListenAsync(server.Address));
        Assert.That(ex!.SocketErrorCode, Is.EqualTo(SocketError.AddressAlreadyInUse));

        await using var client = new Socket();
        await client.DialAsync(server.Address);
        await client.SendAsync("still mine");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:still mine"));
    }

    [Test]
    public async Task AFileWithContentAtTheSocketPathIsNeverRemoved()
    {
        var address = TestAddress.For("ipc");
        var path = address["ipc://".Length..];
        await File.WriteAllTextAsync(path, "precious");
        try
        {
            await using var socket = new Socket();
            Assert.ThrowsAsync<IOException>(() => socket.ListenAsync(address));
            Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("precious"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task ClosingTheListenerRemovesTheSocketFile()
    {
        await using var socket = new Socket();
        var listener = await socket.ListenAsync(TestAddress.For("ipc"));
        var path = listener.BoundAddress["ipc://".Length..];
        Assert.That(File.Exists(path));
        await listener.DisposeAsync();
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public async Task DialingAPathNobodyListensOnThrowsSocketException()
    {
        await using var socket = new Socket();
        Assert.ThrowsAsync<SocketException>(() => socket.DialAsync(TestAddress.For("ipc")));
    }
}
