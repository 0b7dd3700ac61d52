using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Receiver;

/// <summary>
/// The receive queue wakes a parked consumer and resumes blocked producers without a fence of its own: the ring's
/// compare-exchanges pair with the count-ins (AllReceiver.OnDelivered / OnTaken). A lost wake-up shows here as a
/// producer or the consumer that never finishes, so each run hammers the full and empty edges many times over.
/// </summary>
public class AllReceiverWakeTests
{
    private const int PerProducer = 20_000;

    [TestCase(1, 1)]
    [TestCase(1, 3)]
    [TestCase(2, 1)]
    [TestCase(2, 3)]
    [TestCase(3, 2)]
    [TestCase(64, 3)]
    public async Task EveryMessageArrivesInOrderPerProducerAcrossFullAndEmptyQueues(int capacity, int producers)
    {
        var receiver = new AllReceiver(capacity, owner: this);
        using var timeout = new CancellationTokenSource(Wait.Timeout * 2);
        var sending = Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (int i = 0; i < PerProducer; i++)
            {
                var message = Message.Create(BitConverter.GetBytes(p * PerProducer + i));
                await receiver.DeliverAsync(message, timeout.Token);

                // Now and then let the consumer drain the queue, so it parks on an empty one too.
                if (i % 1000 == 999)
                {
                    await Task.Yield();
                }
            }
        })).ToArray();

        var next = new int[producers];
        for (int received = 0; received < producers * PerProducer; received++)
        {
            // Alternate the two receive paths: the awaited one parks, the polling one takes without waiting.
            var message = received % 2 == 0 ? await receiver.ReceiveAsync(timeout.Token) : await TakeAsync(receiver, timeout.Token);
            int value = BitConverter.ToInt32(message.Content.Span);
            message.Dispose();
            int producer = value / PerProducer;
            Assert.That(value % PerProducer, Is.EqualTo(next[producer]), $"producer {producer}'s messages in order");
            next[producer]++;
        }

        await Wait.ForAsync(Task.WhenAll(sending), "every producer finished");
        Assert.That(receiver.TryReceive(out _), Is.False, "nothing more than was sent");
    }

    private static async Task<Message> TakeAsync(AllReceiver receiver, CancellationToken cancellationToken)
    {
        await foreach (var message in receiver.ReceiveAllAsync(cancellationToken))
        {
            return message;
        }

        throw new InvalidOperationException("The receiver completed.");
    }
}
