using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Protocols.Tests;

[CancelAfter(20_000)]
public class SurveyTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task SurveyCollectsThreeResponsesAndDiscardsALateOne(string transport, CancellationToken ct)
    {
        await using var surveyor = new SurveyorSocket();
        var address = (await surveyor.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        var respondents = new List<RespondentSocket>();
        var surveyEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var respondent = new RespondentSocket();
                respondents.Add(respondent);
                await respondent.DialAsync(address, ct);
                string name = $"r{i}";
                bool late = i == 3;
                _ = Task.Run(async () =>
                {
                    await foreach (var survey in respondent.ReceiveSurveysAsync(ct))
                    {
                        using (survey)
                        {
                            if (late)
                            {
                                await surveyEnded.Task;
                            }

                            await survey.RespondAsync(Utf8($"{name}:{survey.ContentAsString()}"));
                        }
                    }
                }, ct);
            }

            await Wait.UntilAsync(() => surveyor.Socket.PipeCount == 4, "four respondents");
            var responses = new List<string>();
            await foreach (var response in surveyor.SurveyAsync(Utf8("lunch?"), TimeSpan.FromMilliseconds(750), ct))
            {
                using (response)
                {
                    responses.Add(response.ContentAsString());
                }
            }

            surveyEnded.SetResult();
            Assert.That(responses, Is.EquivalentTo(new[] { "r0:lunch?", "r1:lunch?", "r2:lunch?" }));
            await Wait.UntilAsync(() => surveyor.Discarded == 1, "the late response is discarded");
        }
        finally
        {
            foreach (var respondent in respondents)
            {
                await respondent.DisposeAsync();
            }
        }
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task ConsecutiveSurveysGetOnlyTheirOwnResponses(string transport, CancellationToken ct)
    {
        await using var surveyor = new SurveyorSocket();
        await using var respondent = new RespondentSocket();
        var address = (await surveyor.ListenAsync(TestAddress.For(transport), ct)).BoundAddress;
        await respondent.DialAsync(address, ct);
        _ = Task.Run(async () =>
        {
            await foreach (var survey in respondent.ReceiveSurveysAsync(ct))
            {
                using (survey)
                {
                    await survey.RespondAsync(Utf8("re:" + survey.ContentAsString()));
                }
            }
        }, ct);
        await Wait.UntilAsync(() => surveyor.Socket.PipeCount == 1, "respondent connected");

        for (int i = 0; i < 5; i++)
        {
            // Stop after the one expected response: leaving the enumeration early ends the survey.
            await foreach (var response in surveyor.SurveyAsync(Utf8($"q{i}"), TimeSpan.FromSeconds(10), ct))
            {
                using (response)
                {
                    Assert.That(response.ContentAsString(), Is.EqualTo($"re:q{i}"));
                }

                break;
            }
        }

        Assert.That(surveyor.Discarded, Is.Zero);
    }

    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task SurveyThroughASwitchReachesRespondentsBehindIt(string transport, CancellationToken ct)
    {
        await using var surveyor = new SurveyorSocket();
        await using var front = new Socket();
        await using var back = new Socket();
        await using var device = new Switch(front, back);
        await using var r1 = new RespondentSocket();
        await using var r2 = new RespondentSocket();
        await surveyor.DialAsync(await front.ListenOnAsync(transport), ct);
        var backAddress = await back.ListenOnAsync(transport);
        foreach (var (respondent, name) in new[] { (r1, "a"), (r2, "b") })
        {
            await respondent.DialAsync(backAddress, ct);
            _ = Task.Run(async () =>
            {
                await foreach (var survey in respondent.ReceiveSurveysAsync(ct))
                {
                    using (survey)
                    {
                        await survey.RespondAsync(Utf8(name));
                    }
                }
            }, ct);
        }

        await Wait.UntilAsync(() => back.PipeCount == 2 && front.PipeCount == 1, "connected through the switch");
        var responses = new List<string>();
        await foreach (var response in surveyor.SurveyAsync(Utf8("?"), TimeSpan.FromSeconds(10), ct))
        {
            using (response)
            {
                responses.Add(response.ContentAsString());
                if (responses.Count == 2)
                {
                    break;
                }
            }
        }

        Assert.That(responses, Is.EquivalentTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task CancellingASurveyThrowsOperationCanceled()
    {
        await using var surveyor = new SurveyorSocket();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.That(async () =>
        {
            await foreach (var response in surveyor.SurveyAsync(Utf8("?"), Timeout.InfiniteTimeSpan, cancel.Token))
            {
                response.Dispose();
            }
        }, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ASurveyWithNoRespondentEndsAtItsDeadline()
    {
        await using var surveyor = new SurveyorSocket();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int count = 0;
        await foreach (var response in surveyor.SurveyAsync(Utf8("?"), TimeSpan.FromMilliseconds(100), Wait.Token()))
        {
            response.Dispose();
            count++;
        }

        Assert.That(count, Is.Zero);
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90)));
    }

    [Test]
    public async Task ResponsesThatArrivedBeforeTheDeadlineAreYieldedWhenTakenAfterIt()
    {
        await using var surveyor = new SurveyorSocket();
        var address = (await surveyor.ListenAsync(TestAddress.For("inproc"))).BoundAddress;
        await using var a = new RespondentSocket();
        await using var b = new RespondentSocket();
        await a.DialAsync(address);
        await b.DialAsync(address);
        await Wait.UntilAsync(() => surveyor.Socket.PipeCount == 2, "respondents connected");

        var deadline = TimeSpan.FromSeconds(1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var survey = surveyor.SurveyAsync(Utf8("?"), deadline, Wait.Token()).GetAsyncEnumerator();
        var first = survey.MoveNextAsync();                 // sends the question, then waits for a response
        foreach (var (respondent, name) in new[] { (a, "a"), (b, "b") })
        {
            using var question = await respondent.ReceiveSurveyAsync(Wait.Token());
            await question.RespondAsync(Utf8(name));       // in-process: in the survey's queue once this returns
        }

        Assume.That(clock.Elapsed, Is.LessThan(deadline), "both responses arrived before the deadline");
        Assert.That(await first, Is.True);
        var responses = new List<string> { survey.Current.ContentAsString() };
        survey.Current.Dispose();

        // The second response is taken only after the deadline has passed: it arrived in time, so it is yielded.
        await Wait.UntilAsync(() => clock.Elapsed > deadline + TimeSpan.FromMilliseconds(100), "the deadline to pass");
        while (await survey.MoveNextAsync())
        {
            responses.Add(survey.Current.ContentAsString());
            survey.Current.Dispose();
        }

        Assert.That(responses, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(surveyor.Discarded, Is.Zero);
    }

    [Test]
    public async Task DisposingTheSurveyorEndsARunningSurvey()
    {
        var surveyor = new SurveyorSocket();
        var address = (await surveyor.ListenAsync(TestAddress.For("inproc"))).BoundAddress;
        await using var respondent = new RespondentSocket();
        await respondent.DialAsync(address);
        await Wait.UntilAsync(() => surveyor.Socket.PipeCount == 1, "respondent connected");

        var run = Task.Run(async () =>
        {
            int count = 0;
            await foreach (var response in surveyor.SurveyAsync(Utf8("?"), Timeout.InfiniteTimeSpan, Wait.Token()))
            {
                response.Dispose();
                count++;
            }

            return count;
        });
        using (var question = await respondent.ReceiveSurveyAsync(Wait.Token()))
        {
            // The survey is running (its question arrived); the surveyor goes away before anyone answers.
        }

        await surveyor.DisposeAsync();
        Assert.That(await Wait.ForAsync(run, "the survey to end"), Is.Zero);
    }
}
