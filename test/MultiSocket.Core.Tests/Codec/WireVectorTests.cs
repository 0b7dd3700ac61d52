using System.Buffers;
using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Core.Tests.Codec;

/// <summary>
/// The frames captured from the Go implementation (docs: wire-format.md, "Worked examples"): each decodes to its
/// documented fields, encodes back to the same bytes, and the switch vectors follow from each other hop by hop.
/// </summary>
public class WireVectorTests
{
    /// <summary>One captured frame and the fields wire-format.md documents for it, as they stand on the wire.</summary>
    public sealed record Vector(string Name, SendType SendType, byte Ttl, uint[] Source, uint[] Destination, byte[] Content)
    {
        public override string ToString() => Name;
    }

    private static readonly byte[] Hi = "hi"u8.ToArray();
    private static readonly byte[] EchoHi = "echo:hi"u8.ToArray();

    public static readonly Vector[] Vectors =
    [
        new("tcp_send_hi", SendType.ToOne, 16, [], [], Hi),
        new("tcp_send_empty", SendType.ToOne, 16, [], [], []),
        new("tcp_send_300", SendType.ToOne, 16, [], [], Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789", 30)))),
        new("tcp_send_all", SendType.ToAll, 16, [], [], "all"u8.ToArray()),
        new("tcp_reply_direct", SendType.ToDestination, 16, [], [1], EchoHi),
        new("tcp_switch_forward", SendType.ToOne, 15, [2], [], Hi),
        new("tcp_switch_reply_in", SendType.ToDestination, 16, [], [2, 2], EchoHi),
        new("tcp_switch_reply_out", SendType.ToDestination, 15, [1], [2], EchoHi),
    ];

    [Test]
    public void EveryCapturedFrameHasDocumentedFields()
    {
        var documented = Vectors.Select(v => v.Name).Append("ws_reply_frame").Order(StringComparer.Ordinal);
        Assert.That(WireVectors.Names, Is.EqualTo(documented), "each .hex file is covered by a test case");
    }

    [TestCaseSource(nameof(Vectors))]
    public void WireFieldsAreTheDocumentedOnes(Vector vector)
    {
        var bytes = WireVectors.Load(vector.Name);
        var header = FrameHeader.Read(bytes);
        int pathsEnd = FrameHeader.Size + header.PathsSize;
        Assert.Multiple(() =>
        {
            Assert.That(header.SendType, Is.EqualTo(vector.SendType));
            Assert.That(header.Flags, Is.EqualTo(MessageFlags.None));
            Assert.That(header.Ttl, Is.EqualTo(vector.Ttl));
            Assert.That(header.Hops, Is.EqualTo(vector.Source.Length));
            Assert.That(header.Distance, Is.EqualTo(vector.Destination.Length));
            Assert.That(header.Length, Is.EqualTo(vector.Content.Length));
            Assert.That(header.FrameSize, Is.EqualTo(bytes.Length));
            Assert.That(MessagePath.FromWire(bytes.AsSpan(FrameHeader.Size, vector.Source.Length * 4)), Is.EqualTo(new MessagePath(vector.Source)));
            Assert.That(MessagePath.FromWire(bytes.AsSpan(FrameHeader.Size + (vector.Source.Length * 4), vector.Destination.Length * 4)), Is.EqualTo(new MessagePath(vector.Destination)));
            Assert.That(bytes[pathsEnd..], Is.EqualTo(vector.Content));
        });
    }

    [TestCaseSource(nameof(Vectors))]
    public void DecodingAppliesTheReceiveRules(Vector vector)
    {
        const uint pipe = 7;
        using var message = WireVectors.DecodeOne(WireVectors.Load(vector.Name), pipe);
        Assert.Multiple(() =>
        {
            Assert.That(message.SendType, Is.EqualTo(vector.SendType));
            Assert.That(message.Flags, Is.EqualTo(MessageFlags.None));
            Assert.That(message.Ttl, Is.EqualTo(vector.Ttl - 1), "a receiving pipe spends one ttl");
            Assert.That(message.Source, Is.EqualTo(new MessagePath([pipe, .. vector.Source])), "the receiving pipe's id goes first");
            Assert.That(message.Hops, Is.EqualTo(vector.Source.Length + 1));
            Assert.That(message.Destination, Is.EqualTo(new MessagePath(vector.Destination.Skip(1).ToArray())), "the first destination id was the sender's own pipe");
            Assert.That(message.PipeId, Is.EqualTo(pipe));
            Assert.That(message.Content.ToArray(), Is.EqualTo(vector.Content));
        });
    }

    [TestCaseSource(nameof(Vectors))]
    public void EncodingTheWireFieldsGivesTheSameBytes(Vector vector)
    {
        using var message = Message.Create(vector.Content, vector.SendType, vector.Ttl);
        message.Source = new MessagePath(vector.Source);
        message.Destination = new MessagePath(vector.Destination);
        var expected = WireVectors.Load(vector.Name);
        Assert.That(FrameEncoder.GetFrameSize(message), Is.EqualTo(expected.Length));
        Assert.That(FrameEncoder.ToArray(message), Is.EqualTo(expected));
    }

    [Test]
    public void DirectReplyFollowsFromTheRequest()
    {
        // A server receives tcp_send_hi on its pipe 1 and answers SendTo(msg.Source, "echo:hi").
        using var request = WireVectors.DecodeOne(WireVectors.Load("tcp_send_hi"), pipeId: 1);
        using var reply = Reply(request, "echo:hi");
        Assert.That(FrameEncoder.ToArray(reply), Is.EqualTo(WireVectors.Load("tcp_reply_direct")));
    }

    [Test]
    public void SwitchVectorsFollowHopByHop()
    {
        // client -> switch front pipe 2; switch back pipe 1 -> server pipe 2 (wire-format.md).
        using var atSwitch = WireVectors.DecodeOne(WireVectors.Load("tcp_send_hi"), pipeId: 2);
        Assert.That(FrameEncoder.ToArray(atSwitch), Is.EqualTo(WireVectors.Load("tcp_switch_forward")), "forwarding adds the front pipe's id to the source");

        using var atServer = WireVectors.DecodeOne(WireVectors.Load("tcp_switch_forward"), pipeId: 2);
        Assert.That(atServer.Source, Is.EqualTo(new MessagePath(2, 2)));
        using var reply = Reply(atServer, "echo:hi");
        Assert.That(FrameEncoder.ToArray(reply), Is.EqualTo(WireVectors.Load("tcp_switch_reply_in")), "the reply's destination is the request's source");

        using var replyAtSwitch = WireVectors.DecodeOne(WireVectors.Load("tcp_switch_reply_in"), pipeId: 1);
        Assert.That(replyAtSwitch.Destination.First, Is.EqualTo(2u), "the switch routes the reply to its front pipe 2");
        Assert.That(FrameEncoder.ToArray(replyAtSwitch), Is.EqualTo(WireVectors.Load("tcp_switch_reply_out")), "the reply consumed one destination id and gained one source id");

        using var atClient = WireVectors.DecodeOne(WireVectors.Load("tcp_switch_reply_out"), pipeId: 1);
        Assert.Multiple(() =>
        {
            Assert.That(atClient.Destination.IsEmpty, Is.True, "the reply has arrived");
            Assert.That(atClient.Source, Is.EqualTo(new MessagePath(1, 1)));
            Assert.That(atClient.Ttl, Is.EqualTo(14));
            Assert.That(atClient.ContentAsString(), Is.EqualTo("echo:hi"));
        });
    }

    [Test]
    public void WebSocketFrameCarriesOneNativeFrame()
    {
        var bytes = WireVectors.Load("ws_reply_frame");
        Assert.That(bytes[0], Is.EqualTo(0x82), "FIN + binary opcode");
        Assert.That(bytes[1] & 0x80, Is.Zero, "a server frame is not masked");
        int payloadLength = bytes[1] & 0x7F;
        Assert.That(payloadLength, Is.EqualTo(19));
        Assert.That(bytes.Length, Is.EqualTo(2 + payloadLength));
        var payload = bytes[2..];

        // Discrepancy: wire-format.md says this is the reply of tcp_reply_direct ("echo:hi"), but the captured payload
        // ends 00 01 instead of 68 69 ("hi"). We pin the bytes as captured; the header and path match the doc.
        var expectedPayload = WireVectors.Load("tcp_reply_direct");
        expectedPayload[^2] = 0x00;
        expectedPayload[^1] = 0x01;
        Assert.That(payload, Is.EqualTo(expectedPayload));

        using var message = WireVectors.DecodeOne(payload, pipeId: 3);
        Assert.Multiple(() =>
        {
            Assert.That(message.SendType, Is.EqualTo(SendType.ToDestination));
            Assert.That(message.Ttl, Is.EqualTo(15));
            Assert.That(message.Source, Is.EqualTo(new MessagePath(3)));
            Assert.That(message.Destination.IsEmpty, Is.True);
            Assert.That(message.Content.ToArray(), Is.EqualTo("echo:"u8.ToArray().Concat(new byte[] { 0x00, 0x01 })));
        });
        using var again = Message.Create(message.Content.Span, SendType.ToDestination, 16);
        again.Destination = new MessagePath(1);
        Assert.That(FrameEncoder.ToArray(again), Is.EqualTo(payload));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task SocketWritesTheCapturedClientFrames()
    {
        var (listener, address) = RawTcp.Listen();
        try
        {
            await using var client = new Socket();
            await client.DialAsync(address);
            using var peer = await listener.AcceptTcpClientAsync(Wait.Token());

            await client.SendAsync("hi");
            await client.SendAsync(ReadOnlyMemory<byte>.Empty);
            await client.SendAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789", 30))));
            await client.SendAllAsync("all"u8.ToArray());

            foreach (var name in new[] { "tcp_send_hi", "tcp_send_empty", "tcp_send_300", "tcp_send_all" })
            {
                var expected = WireVectors.Load(name);
                Assert.That(await peer.ReadExactlyAsync(expected.Length), Is.EqualTo(expected), name);
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task SocketServerRepliesWithTheCapturedFrame()
    {
        await using var server = new Socket();
        var address = await server.ListenOnAsync("tcp");
        using var client = await RawTcp.ConnectAsync(address);
        await client.WriteAsync(WireVectors.Load("tcp_send_hi"));

        using (var request = await server.ReceiveAsync(Wait.Token()))
        {
            Assert.That(request.Source, Is.EqualTo(new MessagePath(1)), "the first pipe of a socket has id 1");
            await server.SendToAsync(request.Source, EchoHi);
        }

        var expected = WireVectors.Load("tcp_reply_direct");
        Assert.That(await client.ReadExactlyAsync(expected.Length), Is.EqualTo(expected));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task SwitchForwardsAndRoutesTheCapturedFrames()
    {
        var (serverListener, serverAddress) = RawTcp.Listen();
        try
        {
            await using var front = new Socket();
            await using var back = new Socket();
            var frontAddress = await front.ListenOnAsync("tcp");
            await using var device = new Switch(front, back);

            // Make the client the switch's front pipe 2, as in the capture.
            using var first = await RawTcp.ConnectAsync(frontAddress);
            await Wait.UntilAsync(() => front.PipeCount == 1, "front pipe 1");
            using var client = await RawTcp.ConnectAsync(frontAddress);
            await Wait.UntilAsync(() => front.PipeCount == 2, "front pipe 2");
            await back.DialAsync(serverAddress);
            using var server = await serverListener.AcceptTcpClientAsync(Wait.Token());

            await client.WriteAsync(WireVectors.Load("tcp_send_hi"));
            var forward = WireVectors.Load("tcp_switch_forward");
            Assert.That(await server.ReadExactlyAsync(forward.Length), Is.EqualTo(forward));

            await server.WriteAsync(WireVectors.Load("tcp_switch_reply_in"));
            var replyOut = WireVectors.Load("tcp_switch_reply_out");
            Assert.That(await client.ReadExactlyAsync(replyOut.Length), Is.EqualTo(replyOut));
        }
        finally
        {
            serverListener.Stop();
        }
    }

    private static Message Reply(Message request, string text)
    {
        var reply = Message.Create(Encoding.UTF8.GetBytes(text), SendType.ToDestination, SocketOptions.DefaultSendTtl);
        reply.Destination = request.Source;
        return reply;
    }
}
