namespace MultiSocket.Protocols;

/// <summary>Settings of a <see cref="RequestSocket"/>.</summary>
public sealed record RequestOptions
{
    /// <summary>Default options: a 60 s timeout, no resend.</summary>
    public static RequestOptions Default { get; } = new();

    /// <summary>
    /// How long a request may take, waiting for a peer and for the reply included (default 60 s;
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit). Past it the request throws
    /// <see cref="TimeoutException"/>.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Send the request again (to one peer, perhaps another one) when no reply came within this interval; null (the
    /// default) never resends. Whichever reply arrives first wins; later ones are discarded.
    /// </summary>
    public TimeSpan? ResendInterval { get; init; }

    /// <summary>Checks every value and throws on the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        }

        if (ResendInterval is { } resend)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resend, TimeSpan.Zero, nameof(ResendInterval));
        }
    }
}
