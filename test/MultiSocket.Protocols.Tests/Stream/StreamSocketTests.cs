using System.Text;
using MultiSocket.Protocols;
using MultiSocket.Testing;

namespace MultiSocket.Protocols.Tests.Stream;

public class StreamSocketTests
{
    public static readonly string[] RawTransports = ["tcp", "ipc", "ws"];

    [TestCaseSource(nameof(RawTransports))]
    public async Task HandlerSeesConnectDataAndDisconnectOfPlainClients(string transport)
    {
        await using var server = new StreamSocket();
        var listener = await server.ListenAsync(TestAddress.For(transport));
        Assert.That(listener.IsRaw);

        await using var client = await RawPeer.ConnectAsync(listener.BoundAddress);
        var connection = await server.AcceptAsync(Wait.Token());
        Assert.That(connection.IsDialed, Is.False);
        Assert.That(connection.RemoteAddress, Does.StartWith(transport + "://"));

        await client.SendAsync("line one\n"u8.ToArray());
        var text = new StringBuilder();
        while (text.Length < 9)
        {
            using var chunk = await connection.ReceiveAsync(Wait.Token());
            Assert.That(chunk, Is.Not.Null);
            text.Append(chunk!.ContentAsString());
        }

        Assert.That(text.ToString(), Is.EqualTo("line one\n"));
        await connection.SendAsync("ack\n"u8.ToArray());
        Assert.That(Encoding.ASCII.GetString(await client.ReceiveAsync(4)), Is.EqualTo("ack\n"));

        await client.ShutdownSendAsync();
        Assert.That(await connection.ReceiveAsync(Wait.Token()), Is.Null, "end of stream");
        await Wait.ForAsync(connection.Completion, "the connection to close");
        Assert.ThrowsAsync<InvalidOperationException>(async () => await connection.SendAsync("late"u8.ToArray()));
    }

    [Test]
    public async Task ServesSeveralClientsEachWithItsOwnReplies()
    {
        await using var server = new StreamSocket();
        var listener = await server.ListenAsync("tcp://127.0.0.1:0");
        var serving = Task.Run(async () =>
        {
            await foreach (var connection in server.AcceptAllAsync())
            {
                _ = Task.Run(async () =>
                {
                    await foreach (var chunk in connection.ReceiveAllAsync())
                    {
                        using (chunk)
                        {
                            await connection.SendAsync(Encoding.ASCII.GetBytes(chunk.ContentAsString().ToUpperInvariant()));
                        }
                    }
                });
            }
        });

        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => RawPeer.ConnectAsync(listener.BoundAddress)));
        for (int i = 0; i < clients.Length; i++)
        {
            await clients[i].SendAsync(Encoding.ASCII.GetBytes($"client{i}"));
        }

        for (int i = 0; i < clients.Length; i++)
        {
            Assert.That(Encoding.ASCII.GetString(await clients[i].ReceiveAsync(7)), Is.EqualTo($"CLIENT{i}"));
            await clients[i].DisposeAsync();
        }

        await server.DisposeAsync();
        await Wait.ForAsync(serving, "the accept loop to end on dispose");
    }

    [Test]
    public async Task CloseAsyncClosesAfterWhatWasSentBefore()
    {
        await using var server = new StreamSocket();
        var listener = await server.ListenAsync("tcp://127.0.0.1:0");
        await using var client = await RawPeer.ConnectAsync(listener.BoundAddress);
        var connection = await server.AcceptAsync(Wait.Token());
        await connection.SendAsync("goodbye"u8.ToArray());
        await connection.CloseAsync();
        Assert.That(Encoding.ASCII.GetString(await client.ReadToEndAsync()), Is.EqualTo("goodbye"));
        await Wait.ForAsync(connection.Completion, "the connection to close");
    }

    [Test]
    public async Task InprocHasNoRawModeAndSaysSo()
    {
        await using var server = new StreamSocket();
        var ex = Assert.ThrowsAsync<ArgumentException>(() => server.ListenAsync(TestAddress.For("inproc")));
        Assert.That(ex!.Message, Does.Contain("raw"));
    }

    [Test]
    public async Task AcceptAfterDisposeThrows()
    {
        var server = new StreamSocket();
        await server.DisposeAsync();
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await server.AcceptAsync());
    }
}
