using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Sender;

/// <summary>
/// A best-effort send to all drops for a pipe whose queue is full (and, for a few sends after, without trying its
/// queue), counts the drops, and delivers again once the peer catches up.
/// </summary>
public class BestEffortToAllTests
{
    [TestCaseSource(typeof(TestAddress), nameof(TestAddress.Transports))]
    public async Task FloodDropsThenDeliversAgain(string transport)
    {
        await using var subscriber = new Socket(new SocketOptions { NoSend = true, ReceiveQueueSize = 1 });
        await using var publisher = new Socket(new SocketOptions { NoReceive = true, BestEffort = true, SendQueueSize = 1 });
        await publisher.DialAsync(await subscriber.ListenOnAsync(transport));
        await Wait.UntilAsync(() => publisher.PipeCount == 1, "the publisher's pipe");

        var data = new byte[] { 0 };
        for (int i = 0; i < 10_000; i++)
        {
            var sent = publisher.SendAllAsync(data);
            Assert.That(sent.IsCompletedSuccessfully, "a best-effort send never waits");
        }

        // A byte-stream pipe counts what the publish log overtook when its write loop next reads the log.
        await Wait.UntilAsync(() => publisher.Statistics.Dropped > 0, "the flood's drops to be counted");

        // The subscriber catches up; a later publish must get through (a full pipe is skipped only for a while).
        using var stop = new CancellationTokenSource(Wait.Timeout);
        var markerArrived = Task.Run(async () =>
        {
            while (true)
            {
                using var message = await subscriber.ReceiveAsync(stop.Token);
                if (message.Content.Span[0] == 1)
                {
                    return true;
                }
            }
        });
        var marker = new byte[] { 1 };
        await Wait.UntilAsync(
            () =>
            {
                _ = publisher.SendAllAsync(marker);
                return markerArrived.IsCompleted;
            },
            "a publish to arrive after the flood");
        Assert.That(await markerArrived, Is.True);
    }
}
