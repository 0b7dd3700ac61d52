using System.Text;

namespace MultiSocket.Core.Tests;

public class MessageTests
{
    [Test]
    public void CreateCopiesTheContent()
    {
        var bytes = "hello"u8.ToArray();
        using var message = Message.Create(bytes, SendType.ToAll, ttl: 3);
        bytes[0] = (byte)'j';
        Assert.Multiple(() =>
        {
            Assert.That(message.ContentAsString(), Is.EqualTo("hello"));
            Assert.That(message.Length, Is.EqualTo(5));
            Assert.That(message.SendType, Is.EqualTo(SendType.ToAll));
            Assert.That(message.Ttl, Is.EqualTo(3));
            Assert.That(message.Flags, Is.EqualTo(MessageFlags.None));
            Assert.That(message.Source.IsEmpty, Is.True);
            Assert.That(message.Destination.IsEmpty, Is.True);
            Assert.That(message.PipeId, Is.Zero);
        });
    }

    [Test]
    public void CreateFromTextIsUtf8WithDefaultTtl()
    {
        using var message = Message.Create("héllo", SendType.ToDestination);
        Assert.That(message.Content.ToArray(), Is.EqualTo(Encoding.UTF8.GetBytes("héllo")));
        Assert.That(message.ContentAsString(), Is.EqualTo("héllo"));
        Assert.That(message.SendType, Is.EqualTo(SendType.ToDestination));
        Assert.That(message.Ttl, Is.EqualTo(SocketOptions.DefaultSendTtl));
    }

    [Test]
    public void CreateWithLengthIsFilledInPlace()
    {
        using var message = Message.Create(4);
        Assert.That(message.Length, Is.EqualTo(4));
        "abcd"u8.CopyTo(message.WritableContent.Span);
        Assert.That(message.ContentAsString(), Is.EqualTo("abcd"));
        Assert.That(message.Content.Length, Is.EqualTo(4), "a pooled buffer may be larger; the content is exactly the length");
    }

    [Test]
    public void EmptyContent()
    {
        using var fromSpan = Message.Create(ReadOnlySpan<byte>.Empty);
        using var fromText = Message.Create("");
        using var fromLength = Message.Create(0);
        Assert.That(fromSpan.Length + fromText.Length + fromLength.Length, Is.Zero);
        Assert.That(fromText.ContentAsString(), Is.Empty);
    }

    [Test]
    public void ArgumentsAreValidated()
    {
        Assert.Throws<ArgumentNullException>(() => Message.Create((string)null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Message.Create(-1));
        using var message = Message.Create("abc");
        Assert.Throws<ArgumentOutOfRangeException>(() => message.Truncate(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => message.Truncate(4));
    }

    [Test]
    public void Truncate()
    {
        using var message = Message.Create("abcdef");
        message.Truncate(3);
        Assert.That(message.ContentAsString(), Is.EqualTo("abc"));
        Assert.That(message.Length, Is.EqualTo(3));
        message.Truncate(3);
        message.Truncate(0);
        Assert.That(message.Content.IsEmpty, Is.True);
    }

    [Test]
    public void CloneIsIndependent()
    {
        using var original = Message.Create("abc", SendType.ToDestination);
        original.Flags = MessageFlags.Control;
        original.Ttl = 7;
        original.Source = new MessagePath(1, 2);
        original.Destination = new MessagePath(3);
        using var copy = original.Clone();
        Assert.Multiple(() =>
        {
            Assert.That(copy, Is.Not.SameAs(original));
            Assert.That(copy.ContentAsString(), Is.EqualTo("abc"));
            Assert.That(copy.SendType, Is.EqualTo(SendType.ToDestination));
            Assert.That(copy.Flags, Is.EqualTo(MessageFlags.Control));
            Assert.That(copy.Ttl, Is.EqualTo(7));
            Assert.That(copy.Source, Is.EqualTo(new MessagePath(1, 2)));
            Assert.That(copy.Destination, Is.EqualTo(new MessagePath(3)));
        });

        copy.WritableContent.Span[0] = (byte)'x';
        copy.Source = copy.Source.Prepend(9);
        Assert.That(original.ContentAsString(), Is.EqualTo("abc"));
        Assert.That(original.Source, Is.EqualTo(new MessagePath(1, 2)));
        original.Dispose();
        Assert.That(copy.ContentAsString(), Is.EqualTo("xbc"), "the clone outlives the original");
    }

    [Test]
    public void ContentIsUsableUntilDisposed()
    {
        var message = Message.Create("keep me");
        var source = new MessagePath(4, 5);
        message.Source = source;
        Assert.That(message.ContentAsString(), Is.EqualTo("keep me"));
        message.Dispose();
        Assert.That(message.Length, Is.Zero, "a disposed message no longer exposes the pooled buffer");
        Assert.That(message.Content.IsEmpty, Is.True);
        Assert.That(source, Is.EqualTo(new MessagePath(4, 5)), "paths are values and stay valid");
    }

    [Test]
    public void DisposeReturnsTheMessageToThePool()
    {
        // Other tests may rent from the shared pool at the same moment, so give it a few tries.
        bool reused = false;
        for (int attempt = 0; attempt < 20 && !reused; attempt++)
        {
            var first = Message.Create("a");
            first.Source = new MessagePath(1);
            first.Flags = MessageFlags.Control;
            first.Dispose();
            using var second = Message.Create("b");
            reused = ReferenceEquals(first, second);
            if (reused)
            {
                Assert.That(second.ContentAsString(), Is.EqualTo("b"));
                Assert.That(second.Source.IsEmpty, Is.True, "a reused message starts clean");
                Assert.That(second.Flags, Is.EqualTo(MessageFlags.None));
                Assert.That(second.Ttl, Is.EqualTo(SocketOptions.DefaultSendTtl));
            }
        }

        Assert.That(reused, Is.True, "a disposed message is handed out again by Create");
    }

    [Test]
    public void DisposingTwiceDoesNotReturnTwice()
    {
        bool checkedOnce = false;
        for (int attempt = 0; attempt < 20 && !checkedOnce; attempt++)
        {
            var message = Message.Create("a");
            message.Dispose();
            message.Dispose();
            var first = Message.Create("b");
            var second = Message.Create("c");
            try
            {
                Assert.That(second, Is.Not.SameAs(first), "one message object handed out to two owners");
                checkedOnce = ReferenceEquals(first, message) || ReferenceEquals(second, message);
                Assert.That(first.ContentAsString(), Is.EqualTo("b"));
            }
            finally
            {
                first.Dispose();
                second.Dispose();
            }
        }

        Assert.That(checkedOnce, Is.True, "the disposed message came back from the pool at least once");
    }

    [Test]
    public void SharedMessageLivesUntilItsLastOwnerDisposes()
    {
        var message = Message.Create("shared");
        Assert.That(message.IsShared, Is.False);
        message.AddRef();
        Assert.That(message.IsShared, Is.True);
        message.Dispose();
        Assert.That(message.IsShared, Is.False);
        Assert.That(message.ContentAsString(), Is.EqualTo("shared"), "one owner is left");
        message.Dispose();
        Assert.That(message.Length, Is.Zero);
    }

    [Test]
    public void HopsDistanceAndToString()
    {
        using var message = Message.Create("xy", SendType.ToDestination);
        message.Source = new MessagePath(3, 4, 5);
        message.Destination = new MessagePath(6);
        Assert.That(message.Hops, Is.EqualTo(3));
        Assert.That(message.Distance, Is.EqualTo(1));
        Assert.That(message.PipeId, Is.EqualTo(3u));
        Assert.That(message.ToString(), Does.Contain("[3 4 5]").And.Contain("[6]").And.Contain("2 bytes"));
    }

    [Test]
    public void RawEndOfStream()
    {
        using var message = Message.Create(0);
        Assert.That(message.IsEndOfStream, Is.False);
        message.Flags = MessageFlags.Raw;
        Assert.That(message.IsEndOfStream, Is.True);
        message.Flags = MessageFlags.Raw | MessageFlags.Control;
        Assert.That(message.IsEndOfStream, Is.False, "the empty control message announces a new connection");
    }
}
