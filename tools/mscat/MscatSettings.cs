namespace MultiSocket.Tools.Mscat;

/// <summary>One validated mscat invocation: the pattern, where to connect, what to send and how to print.</summary>
internal sealed record MscatSettings
{
    /// <summary>The pattern to play.</summary>
    public required Pattern Pattern { get; init; }

    /// <summary>Addresses to dial, in order (after every listen address is bound).</summary>
    public IReadOnlyList<string> Dial { get; init; } = [];

    /// <summary>Addresses to listen on, in order.</summary>
    public IReadOnlyList<string> Listen { get; init; } = [];

    /// <summary>The payload to send (for repliers: the answer); null when none was given.</summary>
    public byte[]? Payload { get; init; }

    /// <summary>How received messages are printed.</summary>
    public MessageFormat Format { get; init; } = MessageFormat.Ascii;

    /// <summary>The <c>--count</c> given: messages to send, or to receive before exiting; 0 = unlimited; null = not given.</summary>
    public long? Count { get; init; }

    /// <summary>Pause between two sends; null sends back to back.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Pause before the first send.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Subscription prefixes (sub only); empty subscribes to everything.</summary>
    public IReadOnlyList<string> Subscribe { get; init; } = [];

    /// <summary>
    /// Receivers: exit once no message came for this long. Req: how long a request may take. Surveyor: the survey
    /// deadline. Null when not given.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>True when this run sends its payload repeatedly (a sender, or pair/bus with a payload).</summary>
    public bool Sends => !Pattern.IsReplier() && Payload is not null;

    /// <summary>How many messages to send: <c>--count</c>, or by default 1 without <c>--interval</c> and unlimited (0) with it.</summary>
    public long SendCount => Count ?? (Interval is null ? 1 : 0);

    /// <summary>How many messages to receive before exiting when this run does not send; 0 = unlimited.</summary>
    public long ReceiveCount => Count ?? 0;
}
