using System.Runtime.InteropServices;

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
            e.Cancel = true;
            Cancel(stop);
        };
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Cancel(stop);
        });

        await using var stdout = Console.OpenStandardOutput();
        var command = new MscatCommand(stdout, Console.Error);
        return await command.InvokeAsync(args, stop.Token).ConfigureAwait(false);
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
