using Microsoft.Extensions.Logging;

namespace MultiSocket.Testing;

/// <summary>An <see cref="ILogger"/> that keeps every entry, for asserting what a socket logged.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly List<LogEntry> _entries = [];

    /// <summary>One logged entry.</summary>
    public sealed record LogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

    /// <summary>A snapshot of the entries so far.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var entry = new LogEntry(logLevel, eventId, formatter(state, exception), exception);
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }
}
