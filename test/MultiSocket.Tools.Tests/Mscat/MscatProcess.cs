using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using MultiSocket.Testing;

namespace MultiSocket.Tools.Tests.Mscat;

/// <summary>
/// One mscat run as a child process (<c>dotnet mscat.dll …</c>): collects stdout as bytes and stderr as lines, waits
/// for them with bounded timeouts, and kills the process on dispose if it is still running.
/// </summary>
internal sealed class MscatProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly List<string> _stderr = [];
    private readonly Lock _gate = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private MscatProcess(Process process)
    {
        _process = process;
        _stdoutPump = PumpStdoutAsync();
        _stderrPump = PumpStderrAsync();
    }

    /// <summary>mscat.dll as built next to this test assembly (the project reference copies it there).</summary>
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "mscat.dll");

    /// <summary>Starts <c>dotnet mscat.dll <paramref name="args"/></c>.</summary>
    public static MscatProcess Start(params string[] args)
    {
        Assert.That(File.Exists(DllPath), Is.True, $"mscat.dll not found at {DllPath}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        return new MscatProcess(process);
    }

    /// <summary>Runs mscat with <paramref name="args"/> to its end; fails the test if it takes longer than the bound.</summary>
    public static async Task<MscatProcess> RunAsync(params string[] args)
    {
        var mscat = Start(args);
        await mscat.WaitForExitAsync();
        return mscat;
    }

    /// <summary>Everything written to stdout so far.</summary>
    public byte[] Output
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToArray();
            }
        }
    }

    /// <summary>Stdout so far as UTF-8 text.</summary>
    public string OutputText => Encoding.UTF8.GetString(Output);

    /// <summary>Complete stdout lines so far (the text up to the last newline, split).</summary>
    public string[] OutputLines
    {
        get
        {
            var text = OutputText;
            int end = text.LastIndexOf('\n');
            return end < 0 ? [] : text[..end].Split('\n');
        }
    }

    /// <summary>Stderr lines so far, joined by newlines.</summary>
    public string ErrorText
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    /// <summary>The exit code; only valid after <see cref="WaitForExitAsync"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the "listening on …" line mscat prints for a --listen address and returns the bound address.</summary>
    public async Task<string> ListenAddressAsync()
    {
        const string prefix = "listening on ";
        var line = await WaitForErrorLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), "a 'listening on' line");
        return line[prefix.Length..];
    }

    /// <summary>Waits until a stderr line matches <paramref name="match"/>; fails on timeout or when mscat exits first.</summary>
    public async Task<string> WaitForErrorLineAsync(Func<string, bool> match, string what)
    {
        string? found = null;
        await Wait.UntilAsync(
            () =>
            {
                lock (_gate)
                {
                    found = _stderr.FirstOrDefault(match);
                }

                if (found is null && _process.HasExited && _stderrPump.IsCompleted)
                {
                    Assert.Fail($"mscat exited ({_process.ExitCode}) before printing {what}. stderr:\n{ErrorText}");
                }

                return found is not null;
            },
            $"mscat to print {what} on stderr (so far: {ErrorText})");
        return found!;
    }

    /// <summary>Waits until stdout holds at least <paramref name="count"/> complete lines.</summary>
    public async Task<string[]> WaitForOutputLinesAsync(int count)
    {
        await Wait.UntilAsync(
            () =>
            {
                if (OutputLines.Length < count && _process.HasExited && _stdoutPump.IsCompleted)
                {
                    Assert.Fail($"mscat exited ({_process.ExitCode}) after {OutputLines.Length} of {count} lines. stderr:\n{ErrorText}");
                }

                return OutputLines.Length >= count;
            },
            $"{count} lines on mscat's stdout");
        return OutputLines;
    }

    /// <summary>Waits for mscat to exit (and its output to be read) and returns the exit code; kills it and fails on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? Wait.Timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"mscat did not exit within {(timeout ?? Wait.Timeout).TotalSeconds:0.#} s. stderr:\n{ErrorText}");
        }

        await Task.WhenAll(_stdoutPump, _stderrPump);
        return _process.ExitCode;
    }

    /// <summary>Asks mscat to stop as Ctrl+C would (SIGTERM here; both cancel the run) and waits for it to exit.</summary>
    public async Task<int> StopAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Signals are not sent to child processes on Windows in these tests.");
        }

        Assert.That(SendSignal(_process.Id, SigTerm), Is.Zero, "kill(SIGTERM) failed");
        return await WaitForExitAsync();
    }

    /// <summary>Kills the process if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync(new CancellationTokenSource(Wait.Timeout).Token);
        }
        catch (OperationCanceledException)
        {
            // Nothing more to do: it was killed.
        }

        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Closes the reading end of mscat's stdout, as <c>| head -n 1</c> does once it has its line.</summary>
    public void CloseOutput()
    {
        _outputClosed = true;
        _process.StandardOutput.BaseStream.Dispose();
    }

    private volatile bool _outputClosed;

    private async Task PumpStdoutAsync()
    {
        var buffer = new byte[4096];
        var stream = _process.StandardOutput.BaseStream;
        int read;
        try
        {
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                lock (_gate)
                {
                    _stdout.Write(buffer, 0, read);
                }
            }
        }
        catch (Exception ex) when (_outputClosed && ex is ObjectDisposedException or IOException or OperationCanceledException)
        {
            // CloseOutput ended the read on purpose.
        }
    }

    private async Task PumpStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            lock (_gate)
            {
                _stderr.Add(line);
            }
        }
    }

    private const int SigTerm = 15;

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for this one int-only call.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
