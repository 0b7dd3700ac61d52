using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MultiSocket.Tools.Mscat;

/// <summary>The mscat entry point.</summary>
internal static class Program
{
    /// <summary>Runs mscat: received messages on stdout, diagnostics on stderr; returns the exit code.</summary>
    public static async Task<int> Main(string[] args)
    {
        // Ctrl+C (SIGINT) and SIGTERM end the run through its token, so the socket is disposed before exiting.
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C asks for a clean end; a second one, while that is under way, ends the process at once.
            e.Cancel = !stop.IsCancellationRequested;
            Cancel(stop);
        };
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Cancel(stop);
        });

        await using var stdout = OpenStandardOutput();
        var command = new MscatCommand(stdout, Console.Error);
        return await command.InvokeAsync(args, stop.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Standard output as a stream that fails once the reader is gone. On Unix the console stream swallows EPIPE, so
    /// "mscat --sub … | head -n 3" would go on forever; a plain stream over descriptor 1 throws, and mscat ends (code 2).
    /// </summary>
    private static Stream OpenStandardOutput()
    {
        if (OperatingSystem.IsWindows())
        {
            return Console.OpenStandardOutput();
        }

        try
        {
            var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            if (!stream.CanSeek)
            {
                return stream;
            }

            // A regular file (mscat > out.log 2>&1): a FileStream writes at its own position and would overwrite what
            // stderr wrote to the same file; the console stream appends, and a file has no reader to go away.
            stream.Dispose();
            return Console.OpenStandardOutput();
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return Console.OpenStandardOutput();
        }
    }

    private static void Cancel(CancellationTokenSource stop)
    {
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run already ended.
        }
    }
}
