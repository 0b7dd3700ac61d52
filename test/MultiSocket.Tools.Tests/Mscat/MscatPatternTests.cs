using System.Text;
using MultiSocket.Protocols;
using MultiSocket.Testing;

namespace MultiSocket.Tools.Tests.Mscat;

/// <summary>mscat as a child process against MultiSocket sockets in the test, one pattern at a time.</summary>
[CancelAfter(30_000)]
public class MscatPatternTests
{
    private static readonly string[] Transports = MscatTransports.CrossProcess;

    [TestCaseSource(nameof(Transports))]
    public async Task Rep_AnswersARequestSocket_WithItsData(string transport)
    {
        await using var mscat = MscatProcess.Start("--rep", "--listen", TestAddress.For(transport), "--data", "pong", "--count", "1");
        string address = await mscat.ListenAddressAsync();
        await using var req = new RequestSocket();
        await req.DialAsync(address);

        using var reply = await req.RequestAsync(Encoding.UTF8.GetBytes("ping"), Wait.Token());

        Assert.That(reply.ContentAsString(), Is.EqualTo("pong"));
        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("ping\n"));
    }

    [Test]
    public async Task Rep_WithoutData_Echoes()
    {
        await using var mscat = MscatProcess.Start("--rep", "--listen", "tcp://127.0.0.1:0");
        string address = await mscat.ListenAddressAsync();
        await using var req = new RequestSocket();
        await req.DialAsync(address);

        for (int i = 0; i < 3; i++)
        {
            using var reply = await req.RequestAsync(Encoding.UTF8.GetBytes($"echo {i}"), Wait.Token());
            Assert.That(reply.ContentAsString(), Is.EqualTo($"echo {i}"));
        }

        Assert.That(await mscat.WaitForOutputLinesAsync(3), Is.EqualTo(new[] { "echo 0", "echo 1", "echo 2" }));
    }

    [TestCaseSource(nameof(Transports))]
    public async Task Req_PrintsTheReplyOfAReplySocket(string transport)
    {
        await using var rep = new ReplySocket();
        var listener = await rep.ListenAsync(TestAddress.For(transport));
        var answering = Task.Run(async () =>
        {
            using var request = await rep.ReceiveRequestAsync(Wait.Token());
            await request.ReplyAsync(Encoding.UTF8.GetBytes("re: " + request.ContentAsString()), Wait.Token());
        });

        await using var mscat = await MscatProcess.RunAsync("--req", "--dial", listener.BoundAddress, "--data", "hello");

        await Wait.ForAsync(answering, "the reply socket to answer");
        Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("re: hello\n"));
    }

    [Test]
    public async Task Req_Timeout_WithoutReply_ExitsWith2()
    {
        await using var rep = new ReplySocket();
        var listener = await rep.ListenAsync("tcp://127.0.0.1:0");

        await using var mscat = await MscatProcess.RunAsync("--req", "--dial", listener.BoundAddress, "--data", "anyone?", "--timeout", "0.3");

        Assert.That(mscat.ExitCode, Is.EqualTo(2), mscat.ErrorText);
        Assert.That(mscat.ErrorText, Does.Contain("timed out"));
        Assert.That(mscat.Output, Is.Empty);
        using var unanswered = await rep.ReceiveRequestAsync(Wait.Token());
        Assert.That(unanswered.ContentAsString(), Is.EqualTo("anyone?"));
    }

    [TestCaseSource(nameof(Transports))]
    public async Task Push_SendsCountMessagesToAPullSocket(string transport)
    {
        await using var pull = new PullSocket();
        var listener = await pull.ListenAsync(TestAddress.For(transport));

        await using var mscat = await MscatProcess.RunAsync("--push", "--dial", listener.BoundAddress, "--data", "job", "--count", "3");

        Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
        for (int i = 0; i < 3; i++)
        {
            using var message = await pull.ReceiveAsync(Wait.Token());
            Assert.That(message.ContentAsString(), Is.EqualTo("job"));
        }

        Assert.That(pull.Socket.TryReceive(out var extra), Is.False, () => $"a fourth message: {extra}");
    }

    [Test]
    public async Task Push_File_SendsItsBytesExactly()
    {
        byte[] payload = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        string path = Path.Combine(Path.GetTempPath(), $"mscat-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(path, payload);
        try
        {
            await using var pull = new PullSocket();
            var listener = await pull.ListenAsync("tcp://127.0.0.1:0");

            await using var mscat = await MscatProcess.RunAsync("--push", "--dial", listener.BoundAddress, "--file", path);

            Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
            using var message = await pull.ReceiveAsync(Wait.Token());
            Assert.That(message.Content.ToArray(), Is.EqualTo(payload));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Push_Interval_KeepsSendingUntilCount()
    {
        await using var pull = new PullSocket();
        var listener = await pull.ListenAsync("tcp://127.0.0.1:0");

        await using var mscat = await MscatProcess.RunAsync(
            "--push", "--dial", listener.BoundAddress, "--data", "tick", "--interval", "0.01", "--count", "5");

        Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
        for (int i = 0; i < 5; i++)
        {
            using var message = await pull.ReceiveAsync(Wait.Token());
            Assert.That(message.ContentAsString(), Is.EqualTo("tick"));
        }
    }

    [TestCaseSource(nameof(Transports))]
    public async Task Sub_Subscribe_PrintsOnlyMatchingMessages(string transport)
    {
        await using var pub = new PublisherSocket();
        var listener = await pub.ListenAsync(TestAddress.For(transport));
        await using var mscat = MscatProcess.Start("--sub", "--subscribe", "a", "--dial", listener.BoundAddress, "--count", "3");
        await Wait.UntilAsync(() => pub.SubscriptionCount > 0, "mscat's subscription to reach the publisher");

        foreach (var topic in new[] { "b0", "a1", "b1", "a2", "b2", "a3", "a4" })
        {
            await pub.PublishAsync(Encoding.UTF8.GetBytes(topic));
        }

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("a1\na2\na3\n"));
    }

    [Test]
    public async Task Sub_WithoutSubscribe_PrintsEverything()
    {
        await using var pub = new PublisherSocket();
        var listener = await pub.ListenAsync("tcp://127.0.0.1:0");
        await using var mscat = MscatProcess.Start("--sub", "--dial", listener.BoundAddress, "--count", "2");
        await Wait.UntilAsync(() => pub.SubscriptionCount > 0, "mscat's subscription to reach the publisher");

        await pub.PublishAsync(Encoding.UTF8.GetBytes("x"));
        await pub.PublishAsync(Encoding.UTF8.GetBytes("y"));

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("x\ny\n"));
    }

    [Test]
    public async Task Pub_Interval_PublishesUntilStopped_ThenExitsCleanly()
    {
        await using var mscat = MscatProcess.Start("--pub", "--listen", "tcp://127.0.0.1:0", "--data", "news", "--interval", "0.02");
        string address = await mscat.ListenAddressAsync();
        await using var sub = new SubscriberSocket();
        sub.Subscribe("news");
        await sub.DialAsync(address);

        using (var message = await sub.ReceiveAsync(Wait.Token()))
        {
            Assert.That(message.ContentAsString(), Is.EqualTo("news"));
        }

        Assert.That(await mscat.StopAsync(), Is.Zero, "SIGTERM (like Ctrl+C) ends mscat cleanly. stderr: " + mscat.ErrorText);
    }

    [TestCaseSource(nameof(Transports))]
    public async Task Pull_Timeout_ExitsWith0WhenNothingComes(string transport)
    {
        await using var mscat = await MscatProcess.RunAsync("--pull", "--listen", TestAddress.For(transport), "--timeout", "0.2");

        Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
        Assert.That(mscat.ErrorText, Does.Contain("no message within 0.2 s"));
        Assert.That(mscat.Output, Is.Empty);
    }

    [Test]
    public async Task Pull_Stop_ExitsCleanly()
    {
        await using var mscat = MscatProcess.Start("--pull", "--listen", "tcp://127.0.0.1:0");
        await mscat.ListenAddressAsync();

        Assert.That(await mscat.StopAsync(), Is.Zero, mscat.ErrorText);
    }

    [Test]
    public async Task Surveyor_PrintsEveryResponseUntilTheDeadline()
    {
        await using var first = new RespondentSocket();
        await using var second = new RespondentSocket();
        var firstListener = await first.ListenAsync("tcp://127.0.0.1:0");
        var secondListener = await second.ListenAsync("tcp://127.0.0.1:0");
        var answering = Task.WhenAll(AnswerAsync(first, "one"), AnswerAsync(second, "two"));

        await using var mscat = await MscatProcess.RunAsync(
            "--surveyor", "--dial", firstListener.BoundAddress, "--dial", secondListener.BoundAddress, "--data", "who?", "--timeout", "2");

        await Wait.ForAsync(answering, "both respondents to answer");
        Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputLines, Is.EquivalentTo(new[] { "who? one", "who? two" }));

        static async Task AnswerAsync(RespondentSocket respondent, string name)
        {
            using var survey = await respondent.ReceiveSurveyAsync(Wait.Token());
            await survey.RespondAsync(Encoding.UTF8.GetBytes($"{survey.ContentAsString()} {name}"), Wait.Token());
        }
    }

    [Test]
    public async Task Respondent_AnswersASurveyorSocket()
    {
        await using var mscat = MscatProcess.Start("--respondent", "--listen", "tcp://127.0.0.1:0", "--data", "here", "--count", "1");
        string address = await mscat.ListenAddressAsync();
        await using var surveyor = new SurveyorSocket();
        await surveyor.DialAsync(address);

        string? response = null;
        await foreach (var message in surveyor.SurveyAsync(Encoding.UTF8.GetBytes("roll call"), Wait.Timeout, Wait.Token()))
        {
            using (message)
            {
                response = message.ContentAsString();
            }

            break;
        }

        Assert.That(response, Is.EqualTo("here"));
        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("roll call\n"));
    }

    [Test]
    public async Task Pair_ReceivesFromAPairSocket()
    {
        await using var mscat = MscatProcess.Start("--pair", "--listen", "tcp://127.0.0.1:0", "--count", "2");
        string address = await mscat.ListenAddressAsync();
        await using var pair = new PairSocket();
        await pair.DialAsync(address);

        await pair.SendAsync(Encoding.UTF8.GetBytes("hi"), Wait.Token());
        await pair.SendAsync(Encoding.UTF8.GetBytes("there"), Wait.Token());

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("hi\nthere\n"));
    }

    [Test]
    public async Task Pair_WithData_SendsAndPrintsTheAnswer()
    {
        await using var pair = new PairSocket();
        var listener = await pair.ListenAsync("tcp://127.0.0.1:0");
        await using var mscat = MscatProcess.Start("--pair", "--dial", listener.BoundAddress, "--data", "marco", "--timeout", "2");

        using (var message = await pair.ReceiveAsync(Wait.Token()))
        {
            Assert.That(message.ContentAsString(), Is.EqualTo("marco"));
        }

        await pair.SendAsync(Encoding.UTF8.GetBytes("polo"), Wait.Token());

        Assert.That(await mscat.WaitForOutputLinesAsync(1), Is.EqualTo(new[] { "polo" }));
        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, "exits once --timeout passes without a message. stderr: " + mscat.ErrorText);
    }

    [Test]
    public async Task Bus_ReceivesFromEveryPeer()
    {
        await using var mscat = MscatProcess.Start("--bus", "--listen", "tcp://127.0.0.1:0", "--count", "2");
        string address = await mscat.ListenAddressAsync();
        await using var first = new BusSocket();
        await using var second = new BusSocket();
        await first.DialAsync(address);
        await second.DialAsync(address);

        await first.SendAsync(Encoding.UTF8.GetBytes("from first"), Wait.Token());
        await second.SendAsync(Encoding.UTF8.GetBytes("from second"), Wait.Token());

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputLines, Is.EquivalentTo(new[] { "from first", "from second" }));
    }

    [Test]
    public async Task Bus_WithData_SendsToEveryPeer()
    {
        await using var first = new BusSocket();
        await using var second = new BusSocket();
        var firstListener = await first.ListenAsync("tcp://127.0.0.1:0");
        var secondListener = await second.ListenAsync("tcp://127.0.0.1:0");

        await using var mscat = await MscatProcess.RunAsync(
            "--bus", "--dial", firstListener.BoundAddress, "--dial", secondListener.BoundAddress, "--data", "all hands");

        Assert.That(mscat.ExitCode, Is.Zero, mscat.ErrorText);
        Assert.That(await first.Socket.ReceiveTextAsync(), Is.EqualTo("all hands"));
        Assert.That(await second.Socket.ReceiveTextAsync(), Is.EqualTo("all hands"));
    }

    [TestCaseSource(nameof(Transports))]
    public async Task Pull_RawListener_PrintsWhatAPlainClientSends(string transport)
    {
        await using var mscat = MscatProcess.Start("--pull", "--listen", TestAddress.For(transport) + "?Raw=true", "--format", "quoted", "--count", "1");
        string address = await mscat.ListenAddressAsync();
        await using var client = await RawPeer.ConnectAsync(address);

        await client.SendAsync(Encoding.ASCII.GetBytes("hello\r\n"));

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("\"hello\\r\\n\"\n"), "the connect announcement is not printed");
        Assert.That(mscat.ErrorText, Does.Contain("raw peer"));
    }

    [Test]
    public async Task Pull_StdoutClosed_ExitsWith2()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Broken-pipe detection is for Unix pipes.");
        }

        await using var mscat = MscatProcess.Start("--pull", "--listen", "tcp://127.0.0.1:0");
        string address = await mscat.ListenAddressAsync();
        mscat.CloseOutput();
        await using var push = new PushSocket();
        await push.DialAsync(address);

        // The first write to the closed pipe fails; mscat then stops with a runtime error instead of running on.
        var pushing = Task.Run(async () =>
        {
            while (!mscat.HasExited)
            {
                await push.SendAsync(Encoding.UTF8.GetBytes("into the void"), Wait.Token());
                await Task.Yield();
            }
        });

        Assert.That(await mscat.WaitForExitAsync(), Is.EqualTo(2), mscat.ErrorText);
        Assert.That(mscat.ErrorText, Does.Contain("mscat:"));
        await push.DisposeAsync();
        try
        {
            await pushing;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
        {
            // The push socket was disposed under the sending loop.
        }
    }
}
