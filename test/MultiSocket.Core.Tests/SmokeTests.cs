using MultiSocket.Testing;

namespace MultiSocket.Core.Tests;

public class SmokeTests
{
    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task EchoRoundTrip(string transport)
    {
        await using var server = new Socket();
        await using var client = new Socket();
        var address = await server.ListenOnAsync(transport);
        await client.DialAsync(address);
        await client.SendAsync("hi");
        using (var request = await server.ReceiveAsync(Wait.Token()))
        {
            Assert.That(request.ContentAsString(), Is.EqualTo("hi"));
            await server.SendToAsync(request.Source, System.Text.Encoding.UTF8.GetBytes("echo:hi"));
        }

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("echo:hi"));
    }
}
