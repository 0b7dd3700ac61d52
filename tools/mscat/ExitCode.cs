namespace MultiSocket.Tools.Mscat;

/// <summary>mscat's process exit codes.</summary>
internal static class ExitCode
{
    /// <summary>The run finished: count reached, receive timeout passed, or interrupted with Ctrl+C.</summary>
    public const int Ok = 0;

    /// <summary>A usage or argument error (bad option, bad address, unreadable --file); nothing was sent.</summary>
    public const int Usage = 1;

    /// <summary>A runtime error: connection refused, address in use, request timed out, output closed.</summary>
    public const int Runtime = 2;
}
