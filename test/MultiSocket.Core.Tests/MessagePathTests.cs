namespace MultiSocket.Core.Tests;

public class MessagePathTests
{
    [Test]
    public void EmptyPath()
    {
        var empty = MessagePath.Empty;
        Assert.Multiple(() =>
        {
            Assert.That(empty.Count, Is.Zero);
            Assert.That(empty.IsEmpty, Is.True);
            Assert.That(empty.First, Is.Zero);
            Assert.That(empty.WireSize, Is.Zero);
            Assert.That(empty, Is.EqualTo(default(MessagePath)));
            Assert.That(empty, Is.EqualTo(new MessagePath()));
            Assert.That(empty.ToString(), Is.EqualTo("[]"));
            Assert.That(empty.RemoveFirst(), Is.EqualTo(empty));
            Assert.That(empty.ToArray(), Is.Empty);
        });
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(255)]
    public void ConstructFromIds(int count)
    {
        var ids = Enumerable.Range(1, count).Select(i => (uint)i * 3).ToArray();
        var path = new MessagePath(ids);
        Assert.Multiple(() =>
        {
            Assert.That(path.Count, Is.EqualTo(count));
            Assert.That(path.First, Is.EqualTo(3u));
            Assert.That(path[count - 1], Is.EqualTo((uint)count * 3));
            Assert.That(path.ToArray(), Is.EqualTo(ids));
            Assert.That(path.WireSize, Is.EqualTo(count * 4));
        });
    }

    [Test]
    public void ConstructorCopiesTheIds()
    {
        uint[] ids = [1, 2, 3, 4, 5, 6];
        var path = new MessagePath(ids);
        ids[0] = 99;
        Assert.That(path.First, Is.EqualTo(1u));
    }

    [Test]
    public void InvalidIdsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => _ = new MessagePath(1, 0, 2));
        Assert.Throws<ArgumentException>(() => _ = new MessagePath(Enumerable.Range(1, 256).Select(i => (uint)i).ToArray()));
    }

    [Test]
    public void IndexerChecksBounds()
    {
        var path = new MessagePath(1, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = path[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = path[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = MessagePath.Empty[0]);
        var longPath = new MessagePath(1, 2, 3, 4, 5, 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = longPath[6]);
    }

    [Test]
    public void PrependGrowsFromInlineToArray()
    {
        var path = MessagePath.Empty;
        for (uint id = 1; id <= 10; id++)
        {
            var before = path;
            path = path.Prepend(id);
            Assert.That(before.Count, Is.EqualTo(id - 1), "the original is a value and does not change");
            Assert.That(path.First, Is.EqualTo(id));
            Assert.That(path.Count, Is.EqualTo((int)id));
        }

        Assert.That(path.ToArray(), Is.EqualTo(new uint[] { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }));
    }

    [Test]
    public void PrependRejectsIdZeroAsTheConstructorDoes()
    {
        var path = new MessagePath(3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => path.Prepend(0));
        Assert.That(ex!.ParamName, Is.EqualTo("id"));
        Assert.Throws<ArgumentException>(() => _ = new MessagePath(0, 3));
    }

    [Test]
    public void PrependBeyondTheMaximumThrows()
    {
        var full = new MessagePath(Enumerable.Range(1, MessagePath.MaxLength).Select(i => (uint)i).ToArray());
        Assert.Throws<InvalidOperationException>(() => full.Prepend(1));
    }

    [Test]
    public void RemoveFirstShrinksFromArrayToInline()
    {
        var path = new MessagePath(1, 2, 3, 4, 5, 6);
        var expected = new List<uint> { 1, 2, 3, 4, 5, 6 };
        while (!path.IsEmpty)
        {
            Assert.That(path.ToArray(), Is.EqualTo(expected));
            path = path.RemoveFirst();
            expected.RemoveAt(0);
        }

        Assert.That(expected, Is.Empty);
        Assert.That(new MessagePath(7).RemoveFirst().IsEmpty, Is.True);
    }

    [Test]
    public void EqualityIsByIdsWhateverTheStorage()
    {
        var inline = new MessagePath(2, 3, 4, 5);
        var built = new MessagePath(1, 2, 3, 4, 5).RemoveFirst();   // made from the array form
        var prepended = new MessagePath(3, 4, 5).Prepend(2);
        Assert.Multiple(() =>
        {
            Assert.That(built, Is.EqualTo(inline));
            Assert.That(prepended, Is.EqualTo(inline));
            Assert.That(built == inline, Is.True);
            Assert.That(built != inline, Is.False);
            Assert.That(built.GetHashCode(), Is.EqualTo(inline.GetHashCode()));
            Assert.That(inline.Equals((object)built), Is.True);
            Assert.That(inline.Equals("[2 3 4 5]"), Is.False);
            Assert.That(inline == new MessagePath(2, 3, 4), Is.False);
            Assert.That(inline != new MessagePath(2, 3, 4, 6), Is.True);
            Assert.That(new MessagePath(1, 2, 3, 4, 5, 6) == new MessagePath(1, 2, 3, 4, 5, 6), Is.True);
            Assert.That(new MessagePath(1, 2, 3, 4, 5, 6) == new MessagePath(1, 2, 3, 4, 5, 7), Is.False);
        });
    }

    [Test]
    public void WireRoundTripIsBigEndian()
    {
        var path = new MessagePath(1, 0x01020304, uint.MaxValue, 5, 6);
        var bytes = new byte[path.WireSize];
        Assert.That(path.WriteTo(bytes), Is.EqualTo(20));
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("00000001" + "01020304" + "FFFFFFFF" + "00000005" + "00000006"));
        Assert.That(MessagePath.FromWire(bytes), Is.EqualTo(path));
        Assert.That(MessagePath.FromWire([]), Is.EqualTo(MessagePath.Empty));
    }

    [Test]
    public void WireArgumentsAreChecked()
    {
        var path = new MessagePath(1, 2);
        Assert.Throws<ArgumentException>(() => path.WriteTo(new byte[7]));
        Assert.Throws<ArgumentException>(() => MessagePath.FromWire(new byte[6]));
        Assert.Throws<ArgumentException>(() => MessagePath.FromWire(new byte[256 * 4]));
        Assert.Throws<ArgumentException>(() => path.CopyTo(new uint[1]));
    }

    [Test]
    public void CopyToAndToString()
    {
        var path = new MessagePath(1, 2, 3);
        var ids = new uint[5];
        Assert.That(path.CopyTo(ids), Is.EqualTo(3));
        Assert.That(ids, Is.EqualTo(new uint[] { 1, 2, 3, 0, 0 }));
        Assert.That(path.ToString(), Is.EqualTo("[1 2 3]"));
    }

    [TestCase(new uint[0])]
    [TestCase(new uint[] { 7 })]
    [TestCase(new uint[] { 7, 8 })]
    [TestCase(new uint[] { 7, 8, 0xFFFFFFFF })]
    public void PrependInPlaceMatchesPrependAndRemoveFirstInPlaceUndoesIt(uint[] ids)
    {
        var original = new MessagePath(ids);
        var path = original;
        Assert.That(path.HasInlineRoom, Is.True);
        MessagePath.PrependInPlace(ref path, 0x01020304);
        Assert.Multiple(() =>
        {
            Assert.That(path, Is.EqualTo(original.Prepend(0x01020304)));
            Assert.That(path.ToArray(), Is.EqualTo(new uint[] { 0x01020304 }.Concat(ids).ToArray()));
            Assert.That(path.GetHashCode(), Is.EqualTo(original.Prepend(0x01020304).GetHashCode()));
            Assert.That(original.Count, Is.EqualTo(ids.Length), "the original value is untouched");
        });

        Assert.That(MessagePath.RemoveFirstInPlace(ref path), Is.EqualTo(0x01020304u));
        Assert.That(path, Is.EqualTo(original));
        Assert.That(path.ToArray(), Is.EqualTo(ids));
    }

    [Test]
    public void RemoveFirstInPlaceOfAFullInlinePathMatchesRemoveFirst()
    {
        var path = new MessagePath(1, 2, 3, 4);
        Assert.That(path.HasInlineRoom, Is.False, "four ids fill the inline storage");
        Assert.That(MessagePath.RemoveFirstInPlace(ref path), Is.EqualTo(1u));
        Assert.That(path, Is.EqualTo(new MessagePath(2, 3, 4)));
        Assert.That(path.HasInlineRoom, Is.True);

        // The freed lane is zero again: prepending restores the original exactly (also its hash).
        MessagePath.PrependInPlace(ref path, 1);
        Assert.That(path, Is.EqualTo(new MessagePath(1, 2, 3, 4)));
        Assert.That(path.GetHashCode(), Is.EqualTo(new MessagePath(1, 2, 3, 4).GetHashCode()));

        var empty = MessagePath.Empty;
        Assert.That(MessagePath.RemoveFirstInPlace(ref empty), Is.Zero);
        Assert.That(empty.IsEmpty, Is.True);
    }

    [Test]
    public void LongPathsAreNotInline()
    {
        var path = new MessagePath(1, 2, 3, 4, 5);
        Assert.That(path.IsInline, Is.False);
        Assert.That(path.HasInlineRoom, Is.False);
        Assert.That(new MessagePath(1, 2, 3, 4).IsInline, Is.True);
        Assert.That(path.RemoveFirst().IsInline, Is.True, "four ids left fit inline again");
    }
}
