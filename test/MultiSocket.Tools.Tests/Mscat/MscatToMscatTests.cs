using MultiSocket.Testing;

namespace MultiSocket.Tools.Tests.Mscat;

/// <summary>Two mscat processes talking to each other, as in a shell script.</summary>
[CancelAfter(30_000)]
public class MscatToMscatTests
{
    private static readonly string[] Transports = MscatTransports.CrossProcess;

    [TestCaseSource(nameof(Transports))]
    public async Task PullListens_PushDialsCount3_PullPrintsThree(string transport)
    {
        await using var pull = MscatProcess.Start("--pull", "--listen", TestAddress.For(transport), "--count", "3");
        string address = await pull.ListenAddressAsync();

        await using var push = await MscatProcess.RunAsync("--push", "--dial", address, "--data", "work", "--count", "3");

        Assert.That(push.ExitCode, Is.Zero, push.ErrorText);
        Assert.That(await pull.WaitForExitAsync(), Is.Zero, pull.ErrorText);
        Assert.That(pull.OutputText, Is.EqualTo("work\nwork\nwork\n"));
    }

    [TestCaseSource(nameof(Transports))]
    public async Task RepListens_ReqDials_ReqPrintsTheReply(string transport)
    {
        await using var rep = MscatProcess.Start("--rep", "--listen", TestAddress.For(transport), "--data", "pong", "--count", "1");
        string address = await rep.ListenAddressAsync();

        await using var req = await MscatProcess.RunAsync("--req", "--dial", address, "--data", "ping", "--format", "quoted");

        Assert.That(req.ExitCode, Is.Zero, req.ErrorText);
        Assert.That(req.OutputText, Is.EqualTo("\"pong\"\n"));
        Assert.That(await rep.WaitForExitAsync(), Is.Zero, rep.ErrorText);
        Assert.That(rep.OutputText, Is.EqualTo("ping\n"));
    }

    [Test]
    public async Task PubWithInterval_SubPrintsCount_ThenPubIsStopped()
    {
        await using var pub = MscatProcess.Start("--pub", "--listen", "tcp://127.0.0.1:0", "--data", "tick", "--interval", "0.02");
        string address = await pub.ListenAddressAsync();

        await using var sub = await MscatProcess.RunAsync("--sub", "--dial", address, "--subscribe", "ti", "--count", "2", "--format", "hex");

        Assert.That(sub.ExitCode, Is.Zero, sub.ErrorText);
        Assert.That(sub.OutputText, Is.EqualTo("7469636b\n7469636b\n"));
        Assert.That(await pub.StopAsync(), Is.Zero, pub.ErrorText);
    }

    [Test]
    public async Task RespondentListens_SurveyorDials_SurveyorPrintsTheAnswer()
    {
        await using var respondent = MscatProcess.Start("--respondent", "--listen", "tcp://127.0.0.1:0", "--data", "present", "--count", "1");
        string address = await respondent.ListenAddressAsync();

        await using var surveyor = await MscatProcess.RunAsync("--surveyor", "--dial", address, "--data", "roll call", "--timeout", "2");

        Assert.That(surveyor.ExitCode, Is.Zero, surveyor.ErrorText);
        Assert.That(surveyor.OutputText, Is.EqualTo("present\n"));
        Assert.That(await respondent.WaitForExitAsync(), Is.Zero, respondent.ErrorText);
    }

    [Test]
    public async Task PairListens_PairDialsWithData_ListenerPrintsIt()
    {
        await using var listener = MscatProcess.Start("--pair", "--listen", "tcp://127.0.0.1:0", "--count", "1");
        string address = await listener.ListenAddressAsync();

        await using var dialer = await MscatProcess.RunAsync("--pair", "--dial", address, "--data", "just us");

        Assert.That(dialer.ExitCode, Is.Zero, dialer.ErrorText);
        Assert.That(await listener.WaitForExitAsync(), Is.Zero, listener.ErrorText);
        Assert.That(listener.OutputText, Is.EqualTo("just us\n"));
    }
}
