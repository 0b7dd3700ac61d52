using System.Net;
using System.Net.Sockets;

namespace MultiSocket.Tools.Tests.Mscat;

[CancelAfter(30_000)]
public class MscatArgumentTests
{
    private static IEnumerable<TestCaseData> UsageErrors()
    {
        yield return Case("no pattern", "choose a pattern", "--dial", "tcp://127.0.0.1:1");
        yield return Case("two patterns", "not --req and --pub", "--req", "--pub", "--dial", "tcp://127.0.0.1:1", "--data", "x");
        yield return Case("no address", "--dial or --listen", "--pull");
        yield return Case("pair with two addresses", "--pair has a single peer", "--pair", "--dial", "tcp://127.0.0.1:1", "--listen", "tcp://127.0.0.1:0");
        yield return Case("push without payload", "--push sends messages", "--push", "--dial", "tcp://127.0.0.1:1");
        yield return Case("sub with payload", "--sub only receives", "--sub", "--dial", "tcp://127.0.0.1:1", "--data", "x");
        yield return Case("data and file", "--data and --file", "--push", "--dial", "tcp://127.0.0.1:1", "--data", "x", "--file", "y");
        yield return Case("subscribe without sub", "--subscribe applies to --sub only", "--pull", "--dial", "tcp://127.0.0.1:1", "--subscribe", "a");
        yield return Case("negative count", "--count", "--pull", "--dial", "tcp://127.0.0.1:1", "--count", "-1");
        yield return Case("zero interval", "--interval must be a positive", "--push", "--dial", "tcp://127.0.0.1:1", "--data", "x", "--interval", "0");
        yield return Case("negative delay", "--delay must be a non-negative", "--push", "--dial", "tcp://127.0.0.1:1", "--data", "x", "--delay", "-1");
        yield return Case("zero timeout", "--timeout must be a positive", "--pull", "--dial", "tcp://127.0.0.1:1", "--timeout", "0");
        yield return Case("interval on a receiver", "--interval times sending", "--pull", "--dial", "tcp://127.0.0.1:1", "--interval", "1");
        yield return Case("timeout on push", "--timeout bounds receiving", "--push", "--dial", "tcp://127.0.0.1:1", "--data", "x", "--timeout", "1");
        yield return Case("unknown format", "--format", "--pull", "--dial", "tcp://127.0.0.1:1", "--format", "base64");
        yield return Case("unknown option", "--bogus", "--pull", "--dial", "tcp://127.0.0.1:1", "--bogus");
        yield return Case("not a number", "--count", "--pull", "--dial", "tcp://127.0.0.1:1", "--count", "many");
        yield return Case("unknown scheme", "bad address 'foo://x'", "--pull", "--dial", "foo://x");
        yield return Case("malformed address", "bad address", "--pull", "--listen", "tcp://127.0.0.1:notaport");
        yield return Case("missing file", "cannot read --file", "--push", "--dial", "tcp://127.0.0.1:1", "--file", "/nonexistent/mscat-test-payload");

        static TestCaseData Case(string name, string message, params string[] args) =>
            new TestCaseData(args, message).SetName($"UsageError_ExitsWith1({name})");
    }

    [TestCaseSource(nameof(UsageErrors))]
    public async Task UsageError_ExitsWith1AndNamesTheProblem(string[] args, string message)
    {
        await using var mscat = await MscatProcess.RunAsync(args);

        Assert.Multiple(() =>
        {
            Assert.That(mscat.ExitCode, Is.EqualTo(1), mscat.ErrorText);
            Assert.That(mscat.ErrorText, Does.Contain(message));
            Assert.That(mscat.Output, Is.Empty, "usage errors print nothing on stdout");
        });
    }

    [Test]
    public async Task Help_ListsEveryPatternAndOption_ExitsWith0()
    {
        await using var mscat = await MscatProcess.RunAsync("--help");

        Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
        foreach (var flag in new[]
        {
            "--req", "--rep", "--pub", "--sub", "--push", "--pull", "--pair", "--bus", "--surveyor", "--respondent",
            "--dial", "--listen", "--data", "--file", "--format", "--count", "--interval", "--delay", "--subscribe", "--timeout",
        })
        {
            Assert.That(mscat.OutputText, Does.Contain(flag));
        }
    }

    [Test]
    public async Task ConnectionRefused_ExitsWith2AndNamesTheAddress()
    {
        // A port that was free a moment ago: nothing listens there.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        string address = $"tcp://127.0.0.1:{port}";

        await using var mscat = await MscatProcess.RunAsync("--push", "--dial", address, "--data", "x");

        Assert.That(mscat.ExitCode, Is.EqualTo(2), mscat.ErrorText);
        Assert.That(mscat.ErrorText, Does.Contain($"cannot dial {address}"));
    }

    [Test]
    public async Task AddressInUse_ExitsWith2()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            string address = $"tcp://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

            await using var mscat = await MscatProcess.RunAsync("--pull", "--listen", address);

            Assert.That(mscat.ExitCode, Is.EqualTo(2), mscat.ErrorText);
            Assert.That(mscat.ErrorText, Does.Contain($"cannot listen on {address}"));
        }
        finally
        {
            taken.Stop();
        }
    }
}
