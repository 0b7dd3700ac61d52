using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Codec;

/// <summary>
/// The write loop packs small frames into one span per batch and writes large ones on their own (Pipe.Send.cs): the
/// bytes on the wire are still exactly each message's frame, in send order, whatever the mix of sizes.
/// </summary>
[CancelAfter(30_000)]
public class WriteLoopPackingTests
{
    [Test]
    public async Task ABurstOfMixedSizesGoesOutAsConsecutiveFramesInOrder()
    {
        var (listener, address) = RawTcp.Listen();
        try
        {
            // A burst into a deep queue: the write loop finds many messages at once and packs the small ones.
            await using var sender = new Socket(new SocketOptions { NoReceive = true, SendQueueSize = 512 });
            int[] sizes = [0, 1, 60, 16 * 1024 - 20, 16 * 1024 + 100, 3, 70 * 1024, 64, 5, 40 * 1024, 0, 1000];
            var contents = Enumerable.Range(0, 300)
                .Select(i => Enumerable.Range(0, sizes[i % sizes.Length]).Select(b => (byte)(i + b)).ToArray())
                .ToArray();
            await sender.DialAsync(address);
            using var peer = await listener.AcceptTcpClientAsync(Wait.Token());
            await Wait.UntilAsync(() => sender.PipeCount == 1, "the pipe opens");
            foreach (var content in contents)
            {
                await sender.SendAsync(content);
            }

            var expected = contents.SelectMany(content =>
            {
                using var message = Message.Create(content);
                return FrameEncoder.ToArray(message);
            }).ToArray();
            var received = await peer.ReadExactlyAsync(expected.Length);
            Assert.That(received, Is.EqualTo(expected));
        }
        finally
        {
            listener.Stop();
        }
    }
}
