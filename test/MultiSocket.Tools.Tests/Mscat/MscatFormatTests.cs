using System.Text;
using MultiSocket.Protocols;
using MultiSocket.Testing;

namespace MultiSocket.Tools.Tests.Mscat;

/// <summary>The exact bytes mscat prints for each --format.</summary>
[CancelAfter(30_000)]
public class MscatFormatTests
{
    // NUL, 'a', '"', '\', LF, TAB, CR, DEL, 0xff, 'Z', space
    private static readonly byte[] Content = [0x00, (byte)'a', (byte)'"', (byte)'\\', (byte)'\n', (byte)'\t', (byte)'\r', 0x7f, 0xff, (byte)'Z', (byte)' '];

    private static IEnumerable<TestCaseData> Formats()
    {
        yield return new TestCaseData("hex", Encoding.ASCII.GetBytes("0061225c0a090d7fff5a20\n")).SetName("Format(hex)");
        yield return new TestCaseData("quoted", Encoding.ASCII.GetBytes("\"\\x00a\\\"\\\\\\n\\t\\r\\x7f\\xffZ \"\n")).SetName("Format(quoted)");
        yield return new TestCaseData("ascii", Encoding.ASCII.GetBytes(".a\"\\.....Z \n")).SetName("Format(ascii)");
        yield return new TestCaseData("raw", Content).SetName("Format(raw)");
    }

    [TestCaseSource(nameof(Formats))]
    public async Task Pull_PrintsTheMessageInTheFormat_ByteExact(string format, byte[] expected)
    {
        await using var mscat = MscatProcess.Start("--pull", "--listen", "tcp://127.0.0.1:0", "--format", format, "--count", "1");
        string address = await mscat.ListenAddressAsync();
        await using var push = new PushSocket();
        await push.DialAsync(address);

        await push.SendAsync(Content, Wait.Token());

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.Output, Is.EqualTo(expected));
    }

    [Test]
    public async Task Raw_ConcatenatesMessages_AndEmptyMessagesPrintNothing()
    {
        await using var mscat = MscatProcess.Start("--pull", "--listen", "tcp://127.0.0.1:0", "--format", "raw", "--count", "3");
        string address = await mscat.ListenAddressAsync();
        await using var push = new PushSocket();
        await push.DialAsync(address);

        await push.SendAsync(Encoding.UTF8.GetBytes("ab"), Wait.Token());
        await push.SendAsync(ReadOnlyMemory<byte>.Empty, Wait.Token());
        await push.SendAsync(Encoding.UTF8.GetBytes("cd"), Wait.Token());

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("abcd"));
    }

    [Test]
    public async Task DefaultFormat_IsAscii_OneLinePerMessage_EmptyMessageIsAnEmptyLine()
    {
        await using var mscat = MscatProcess.Start("--pull", "--listen", "tcp://127.0.0.1:0", "--count", "2");
        string address = await mscat.ListenAddressAsync();
        await using var push = new PushSocket();
        await push.DialAsync(address);

        await push.SendAsync(ReadOnlyMemory<byte>.Empty, Wait.Token());
        await push.SendAsync(Encoding.UTF8.GetBytes("h\u00e9"), Wait.Token());

        Assert.That(await mscat.WaitForExitAsync(), Is.Zero, mscat.ErrorText);
        Assert.That(mscat.OutputText, Is.EqualTo("\nh..\n"));
    }
}
