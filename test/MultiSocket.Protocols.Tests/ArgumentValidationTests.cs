using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Protocols.Tests;

[CancelAfter(10_000)]
public class ArgumentValidationTests
{
    private static IEnumerable<Func<ProtocolSocket>> AllSockets()
    {
        yield return () => new RequestSocket();
        yield return () => new ReplySocket();
        yield return () => new PublisherSocket();
        yield return () => new SubscriberSocket();
        yield return () => new PushSocket();
        yield return () => new PullSocket();
        yield return () => new PairSocket();
        yield return () => new BusSocket();
        yield return () => new SurveyorSocket();
        yield return () => new RespondentSocket();
    }

    [TestCaseSource(nameof(AllSockets))]
    public async Task DialAndListenValidateTheAddressAndRefuseAfterDispose(Func<ProtocolSocket> create)
    {
        var socket = create();
        Assert.That(() => socket.DialAsync(null!), Throws.ArgumentNullException);
        Assert.That(() => socket.ListenAsync(null!), Throws.ArgumentNullException);
        Assert.That(async () => await socket.ListenAsync("nope://x"), Throws.InstanceOf<NotSupportedException>());
        await socket.DisposeAsync();
        await socket.DisposeAsync();   // idempotent
        Assert.That(socket.IsDisposed, Is.True);
        Assert.That(socket.Socket.IsDisposed, Is.True);
        Assert.That(() => socket.DialAsync(TestAddress.For("inproc")), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => socket.ListenAsync(TestAddress.For("inproc")), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void SocketsThatMustSendAndReceiveRejectNoSendAndNoReceive()
    {
        var noSend = new SocketOptions { NoSend = true };
        var noReceive = new SocketOptions { NoReceive = true };
        Assert.That(() => new RequestSocket(noSend), Throws.ArgumentException);
        Assert.That(() => new ReplySocket(noReceive), Throws.ArgumentException);
        Assert.That(() => new PublisherSocket(noReceive), Throws.ArgumentException);
        Assert.That(() => new SubscriberSocket(noSend), Throws.ArgumentException);
        Assert.That(() => new PushSocket(noSend), Throws.ArgumentException);
        Assert.That(() => new PullSocket(noReceive), Throws.ArgumentException);
        Assert.That(() => new PairSocket(noSend), Throws.ArgumentException);
        Assert.That(() => new BusSocket(noReceive), Throws.ArgumentException);
        Assert.That(() => new SurveyorSocket(noSend), Throws.ArgumentException);
        Assert.That(() => new RespondentSocket(noReceive), Throws.ArgumentException);
        Assert.That(() => new BusSocket(new SocketOptions { SendQueueSize = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void RequestOptionsAreValidated()
    {
        Assert.That(() => new RequestSocket(requestOptions: new RequestOptions { Timeout = TimeSpan.Zero }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Timeout"));
        Assert.That(() => new RequestSocket(requestOptions: new RequestOptions { ResendInterval = TimeSpan.FromSeconds(-1) }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ResendInterval"));
        Assert.That(() => new RequestOptions { Timeout = Timeout.InfiniteTimeSpan }.Validate(), Throws.Nothing);
    }

    [Test]
    public async Task OperationsAfterDisposeThrowObjectDisposed()
    {
        var req = new RequestSocket();
        var rep = new ReplySocket();
        var pub = new PublisherSocket();
        var sub = new SubscriberSocket();
        var push = new PushSocket();
        var pull = new PullSocket();
        var pair = new PairSocket();
        var bus = new BusSocket();
        var surveyor = new SurveyorSocket();
        var respondent = new RespondentSocket();
        foreach (ProtocolSocket s in new ProtocolSocket[] { req, rep, pub, sub, push, pull, pair, bus, surveyor, respondent })
        {
            await s.DisposeAsync();
        }

        var content = new byte[] { 1 };
        Assert.That(async () => await req.RequestAsync(content), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await rep.ReceiveRequestAsync(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => rep.ReceiveRequestsAsync(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await pub.PublishAsync(content), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => sub.Subscribe("a"), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await sub.ReceiveAsync(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await push.SendAsync(content), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await pull.ReceiveAsync(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await pair.SendAsync(content), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await bus.ReceiveAsync(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => surveyor.SurveyAsync(content, TimeSpan.FromSeconds(1)), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => respondent.ReceiveSurveysAsync(), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public async Task SubscribeValidatesItsPrefix()
    {
        await using var sub = new SubscriberSocket();
        Assert.That(() => sub.Subscribe((string)null!), Throws.ArgumentNullException);
        Assert.That(() => sub.Unsubscribe((string)null!), Throws.ArgumentNullException);
        Assert.That(sub.Subscribe("a"), Is.True);
        Assert.That(sub.Subscribe(Encoding.UTF8.GetBytes("a")), Is.False, "already subscribed");
        Assert.That(sub.Unsubscribe("b"), Is.False, "never subscribed");
        Assert.That(sub.Subscriptions.Select(p => Encoding.UTF8.GetString(p)), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task SurveyDeadlineMustBePositive()
    {
        await using var surveyor = new SurveyorSocket();
        Assert.That(() => surveyor.SurveyAsync(new byte[1], TimeSpan.Zero), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => surveyor.SurveyAsync(new byte[1], TimeSpan.FromSeconds(-5)), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task CancelledTokensAreHonouredBeforeAnyWork()
    {
        await using var req = new RequestSocket();
        await using var pub = new PublisherSocket();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.That(async () => await req.RequestAsync(new byte[1], cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(async () => await pub.PublishAsync(new byte[1], cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(req.PendingCount, Is.Zero);
    }
}
