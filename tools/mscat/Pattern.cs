namespace MultiSocket.Tools.Mscat;

/// <summary>The messaging pattern an mscat invocation plays: one per run, chosen by its flag (<c>--req</c>, …).</summary>
internal enum Pattern
{
    /// <summary><c>--req</c>: sends requests and prints the replies.</summary>
    Req,

    /// <summary><c>--rep</c>: prints requests and answers them (with the payload, or an echo).</summary>
    Rep,

    /// <summary><c>--pub</c>: publishes the payload.</summary>
    Pub,

    /// <summary><c>--sub</c>: prints published messages matching <c>--subscribe</c>.</summary>
    Sub,

    /// <summary><c>--push</c>: sends the payload to one puller at a time.</summary>
    Push,

    /// <summary><c>--pull</c>: prints pushed messages.</summary>
    Pull,

    /// <summary><c>--pair</c>: prints what its one peer sends; sends the payload if given.</summary>
    Pair,

    /// <summary><c>--bus</c>: prints what any peer sends; sends the payload to all peers if given.</summary>
    Bus,

    /// <summary><c>--surveyor</c>: sends a survey and prints the responses until the deadline.</summary>
    Surveyor,

    /// <summary><c>--respondent</c>: prints surveys and answers them (with the payload, or an echo).</summary>
    Respondent,
}

/// <summary>What each pattern does with a payload and with received messages.</summary>
internal static class PatternInfo
{
    /// <summary>The command-line flag that selects <paramref name="pattern"/>.</summary>
    public static string Flag(this Pattern pattern) => "--" + pattern.ToString().ToLowerInvariant();

    /// <summary>True for patterns that cannot run without a payload: they only ever send it.</summary>
    public static bool NeedsPayload(this Pattern pattern) =>
        pattern is Pattern.Req or Pattern.Pub or Pattern.Push or Pattern.Surveyor;

    /// <summary>True for patterns that never send a payload of their own.</summary>
    public static bool IsReceiveOnly(this Pattern pattern) => pattern is Pattern.Sub or Pattern.Pull;

    /// <summary>True for patterns that answer what they receive (the payload is the answer).</summary>
    public static bool IsReplier(this Pattern pattern) => pattern is Pattern.Rep or Pattern.Respondent;
}
