using System.Runtime.InteropServices;
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

    [TestCase(SendType.ToOne, (byte)5)]
    [TestCase(SendType.ToAll, (byte)1)]
    [TestCase(SendType.ToOne, (byte)0)]
    public void ArrivingInPlaceRecordsThePipeAndSpendsAHopAndUndoRestores(SendType sendType, byte ttl)
    {
        using var message = Message.Create("x"u8, sendType, ttl);
        message.Source = new MessagePath(3, 4);
        message.Destination = new MessagePath(9);

        Assert.That(message.TryArriveInPlace(42, out var undo), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(message.Source, Is.EqualTo(new MessagePath(42, 3, 4)));
            Assert.That(message.Ttl, Is.EqualTo(ttl == 0 ? 0 : ttl - 1), "a spent ttl stays 0");
            Assert.That(message.Destination, Is.EqualTo(new MessagePath(9)), "only a ToDestination message takes a hop off its destination");
        });

        message.UndoArrival(undo);
        Assert.Multiple(() =>
        {
            Assert.That(message.Source, Is.EqualTo(new MessagePath(3, 4)));
            Assert.That(message.Ttl, Is.EqualTo(ttl));
            Assert.That(message.Destination, Is.EqualTo(new MessagePath(9)));
        });
    }

    [TestCase(new uint[0])]
    [TestCase(new uint[] { 5 })]
    [TestCase(new uint[] { 5, 6, 7, 8 })]
    public void ArrivingInPlaceTakesTheNextHopOffTheDestination(uint[] destination)
    {
        using var message = Message.Create("x"u8, SendType.ToDestination, ttl: 3);
        message.Source = new MessagePath(1);
        message.Destination = new MessagePath(destination);

        Assert.That(message.TryArriveInPlace(2, out var undo), Is.True);
        Assert.That(message.Source, Is.EqualTo(new MessagePath(2, 1)));
        Assert.That(message.Destination, Is.EqualTo(new MessagePath(destination).RemoveFirst()));
        Assert.That(message.Ttl, Is.EqualTo(2));

        message.UndoArrival(undo);
        Assert.That(message.Source, Is.EqualTo(new MessagePath(1)));
        Assert.That(message.Destination, Is.EqualTo(new MessagePath(destination)));
        Assert.That(message.Ttl, Is.EqualTo(3));
    }

    [Test]
    public void PathsTooLongToChangeInPlaceAreLeftAlone()
    {
        using var longSource = Message.Create("x"u8, SendType.ToOne, ttl: 3);
        longSource.Source = new MessagePath(1, 2, 3, 4);
        Assert.That(longSource.TryArriveInPlace(9, out _), Is.False);
        Assert.That(longSource.Source, Is.EqualTo(new MessagePath(1, 2, 3, 4)));
        Assert.That(longSource.Ttl, Is.EqualTo(3));

        using var longDestination = Message.Create("x"u8, SendType.ToDestination, ttl: 3);
        longDestination.Destination = new MessagePath(1, 2, 3, 4, 5);
        Assert.That(longDestination.TryArriveInPlace(9, out _), Is.False);
        Assert.That(longDestination.Source.IsEmpty, Is.True);
        Assert.That(longDestination.Destination, Is.EqualTo(new MessagePath(1, 2, 3, 4, 5)));
        Assert.That(longDestination.Ttl, Is.EqualTo(3));
    }

    [Test]
    public void ArrivingWithLongPathsBuildsNewOnes()
    {
        using var message = Message.Create("x"u8, SendType.ToDestination, ttl: 1);
        message.Source = new MessagePath(1, 2, 3, 4);
        message.Destination = new MessagePath(5, 6, 7, 8, 9);
        message.Arrive(42);
        Assert.That(message.Source, Is.EqualTo(new MessagePath(42, 1, 2, 3, 4)));
        Assert.That(message.Destination, Is.EqualTo(new MessagePath(6, 7, 8, 9)));
        Assert.That(message.Ttl, Is.Zero);

        message.Arrive(43);
        Assert.That(message.Source.Count, Is.EqualTo(6));
        Assert.That(message.Source.First, Is.EqualTo(43u));
        Assert.That(message.Destination, Is.EqualTo(new MessagePath(7, 8, 9)));
        Assert.That(message.Ttl, Is.Zero, "a spent ttl stays 0");
    }

    [Test]
    public void ALargeBufferGoesBackToItsPoolAndASmallOneStaysWithTheMessage()
    {
        // Dispose decides by the buffer length the message recorded when it rented it (it does not read the buffer,
        // which the sender wrote on another core). Pools hand back the last item returned on this thread.
        var small = Message.Create(new byte[10]);
        var smallBuffer = BufferOf(small);
        small.Dispose();
        var reused = Message.Create(new byte[12]);
        Assert.That(BufferOf(reused), Is.SameAs(smallBuffer), "a small buffer stays with the pooled message");
        reused.Dispose();

        var large = Message.Create(new byte[2000]);
        var largeBuffer = BufferOf(large);
        large.Dispose();
        using var next = Message.Create(new byte[10]);
        Assert.That(BufferOf(next).Length, Is.LessThanOrEqualTo(512), "the large buffer did not stay with the message");
        using var again = Message.Create(new byte[2000]);
        Assert.That(BufferOf(again), Is.SameAs(largeBuffer), "the large buffer went back to its pool");
    }

    [Test]
    public void ReferencesTakenAndReleasedInBulkReturnTheMessageOnceWhenTheLastGoes()
    {
        var message = Message.Create("abc"u8);
        message.AddRefs(3);
        message.Release(2);
        Assert.That(message.IsShared, Is.True, "two of four holds left");
        Assert.That(message.ContentAsString(), Is.EqualTo("abc"), "not returned while held");
        message.Release(2);

        // Returned exactly once: the pool hands it out once, and a stray release afterwards changes nothing.
        message.Dispose();
        var first = Message.Create("x"u8);
        var second = Message.Create("y"u8);
        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(first.ContentAsString() + second.ContentAsString(), Is.EqualTo("xy"));
        first.Dispose();
        second.Dispose();
    }

    [Test]
    public async Task ReferencesAddedInBulkWhileAnotherHolderReleasesAreAllCounted()
    {
        // AddRefs takes a shortcut when the caller holds the only reference; here a second holder releases at the
        // same moment, so it sees one holder or two, and either way every hold must be counted.
        for (int i = 0; i < 2_000; i++)
        {
            var message = Message.Create("abc"u8);
            message.AddRef();
            var other = Task.Run(message.Dispose);
            message.AddRefs(2);
            await other;

            message.Release(1);
            Assert.That(message.IsShared, Is.True, "two of three holds left");
            message.Release(1);
            Assert.That(message.IsShared, Is.False, "one hold left");
            Assert.That(message.ContentAsString(), Is.EqualTo("abc"), "not returned while held");
            message.Dispose();
        }
    }

    private static byte[] BufferOf(Message message) =>
        MemoryMarshal.TryGetArray(message.Content, out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");
}
