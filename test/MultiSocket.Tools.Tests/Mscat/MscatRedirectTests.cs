using System.Diagnostics;
using System.Net;
using MultiSocket.Protocols;
using MultiSocket.Testing;

namespace MultiSocket.Tools.Tests.Mscat;

public class MscatRedirectTests
{
    /// <summary><c>mscat … &gt; file 2&gt;&amp;1</c>: stdout and stderr share one file and neither overwrites the other.</summary>
    [Test]
    public async Task StdoutAndStderrRedirectedToOneFileBothSurvive()
    {
        Assume.That(OperatingSystem.IsWindows(), Is.False, "needs a POSIX shell");

        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var log = Path.Combine(Path.GetTempPath(), $"mscat-{Environment.ProcessId}-{port}.log");
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec dotnet '{MscatProcess.DllPath}' --pull --listen tcp://127.0.0.1:{port} --count 1 > '{log}' 2>&1");
        using var process = Process.Start(info)!;
        try
        {
            await using var push = new PushSocket(new SocketOptions { MinReconnectInterval = TimeSpan.FromMilliseconds(20), MaxReconnectInterval = TimeSpan.FromMilliseconds(100) });
            await Wait.UntilAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("listening on", StringComparison.Ordinal), "mscat to listen");
            await push.DialAsync($"tcp://127.0.0.1:{port}");
            await push.SendAsync("hello"u8.ToArray());
            await process.WaitForExitAsync(Wait.Token());
            var text = await File.ReadAllTextAsync(log);
            Assert.That(text, Does.Contain($"listening on tcp://127.0.0.1:{port}"));
            Assert.That(text, Does.Contain("hello"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            File.Delete(log);
        }
    }
}
