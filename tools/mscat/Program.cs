namespace MultiSocket.Tools.Mscat;

/// <summary>The mscat entry point.</summary>
internal static class Program
{
    /// <summary>Runs mscat: received messages on stdout, diagnostics on stderr; returns the exit code.</summary>
    public static async Task<int> Main(string[] args)
    {
        await using var stdout = Console.OpenStandardOutput();
        var command = new MscatCommand(stdout, Console.Error);
        return await command.InvokeAsync(args).ConfigureAwait(false);
    }
}
