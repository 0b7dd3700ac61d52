// Surveyor/respondent over tcp loopback: a surveyor asks three respondents and collects their answers until a
// deadline; a fourth, slow respondent answers too late and its answer is discarded.
using System.Text;
using MultiSocket.Protocols;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
var ct = timeout.Token;

await using var surveyor = new SurveyorSocket();
var listener = await surveyor.ListenAsync("tcp://127.0.0.1:0", ct);
Console.WriteLine($"surveyor listening on {listener.BoundAddress}");

var surveyOver = new TaskCompletionSource();
var respondents = new List<RespondentSocket>();
string[] names = ["alice", "bob", "carol", "slow dave"];
foreach (var name in names)
{
    var respondent = new RespondentSocket();
    respondents.Add(respondent);
    await respondent.DialAsync(listener.BoundAddress, ct);
    _ = Task.Run(async () =>
    {
        await foreach (var survey in respondent.ReceiveSurveysAsync(ct))
        {
            using (survey)
            {
                if (name.StartsWith("slow", StringComparison.Ordinal))
                {
                    await surveyOver.Task;           // answers only after the deadline
                }

                await survey.RespondAsync(Encoding.UTF8.GetBytes($"{name} votes yes to '{survey.ContentAsString()}'"), ct);
            }
        }
    });
}

while (surveyor.Socket.PipeCount < names.Length)
{
    await Task.Delay(10, ct);
}

await foreach (var response in surveyor.SurveyAsync(Encoding.UTF8.GetBytes("pizza for lunch?"), TimeSpan.FromMilliseconds(500), ct))
{
    using (response)
    {
        Console.WriteLine(response.ContentAsString());
    }
}

surveyOver.SetResult();
while (surveyor.Discarded == 0)
{
    await Task.Delay(10, ct);
}

Console.WriteLine($"survey over; {surveyor.Discarded} late response discarded");
foreach (var respondent in respondents)
{
    await respondent.DisposeAsync();
}

return 0;
