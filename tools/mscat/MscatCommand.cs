using System.CommandLine;

namespace MultiSocket.Tools.Mscat;

/// <summary>
/// The mscat command line: its options, the checks across them (usage errors, exit code 1) and the
/// action that turns a valid parse into <see cref="MscatSettings"/> and runs a <see cref="Session"/>.
/// </summary>
internal sealed class MscatCommand
{
    /// <summary>The largest number of seconds accepted by --interval, --delay and --timeout (about 11.5 days).</summary>
    public const double MaxSeconds = 1_000_000;

    private readonly Dictionary<Pattern, Option<bool>> _patterns = [];
    private readonly Option<string[]> _dial = new("--dial")
    {
        Description = "Connect to this address (tcp://host:port, ipc:///path, ws://host:port/path, with ?options); repeatable.",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "address",
    };

    private readonly Option<string[]> _listen = new("--listen")
    {
        Description = "Listen on this address (port 0 picks a free port; the bound address is printed on stderr); repeatable.",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "address",
    };

    private readonly Option<string?> _data = new("--data")
    {
        Description = "The payload to send, as UTF-8 text. For --rep/--respondent: the reply (default: echo the request).",
        HelpName = "text",
    };

    private readonly Option<string?> _file = new("--file")
    {
        Description = "Send the contents of this file as the payload (instead of --data).",
        HelpName = "path",
    };

    private readonly Option<string> _format = new("--format")
    {
        Description = "How received messages are printed: raw (bytes as is), ascii (non-printables as '.'), quoted (C-style escaped), hex. One per line except raw.",
        DefaultValueFactory = _ => "ascii",
        HelpName = "raw|ascii|quoted|hex",
    };

    private readonly Option<long?> _count = new("--count")
    {
        Description = "Messages to send (senders; default 1, or unlimited with --interval), or to receive before exiting (receivers; default unlimited). 0 = unlimited.",
        HelpName = "n",
    };

    private readonly Option<double?> _interval = new("--interval")
    {
        Description = "Seconds between two sends: send repeatedly (push, pub, pair, bus, req, surveyor).",
        HelpName = "seconds",
    };

    private readonly Option<double?> _delay = new("--delay")
    {
        Description = "Seconds to wait before the first send (for example, to let subscribers connect).",
        HelpName = "seconds",
    };

    private readonly Option<string[]> _subscribe = new("--subscribe")
    {
        Description = "Receive only messages starting with this prefix (--sub only); repeatable. None: everything.",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "prefix",
    };

    private readonly Option<double?> _timeout = new("--timeout")
    {
        Description = "Receivers: exit (code 0) once no message came for this many seconds. --req: how long a request may take (exit 2 past it; default no limit). --surveyor: the survey deadline (default 1).",
        HelpName = "seconds",
    };

    private readonly TextWriter _diagnostics;
    private readonly Stream _output;

    /// <summary>Builds the command; received messages go to <paramref name="output"/>, everything else to <paramref name="diagnostics"/>.</summary>
    public MscatCommand(Stream output, TextWriter diagnostics)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(diagnostics);
        _output = output;
        _diagnostics = diagnostics;
        _format.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } format && !Enum.TryParse<MessageFormat>(format, ignoreCase: true, out _))
            {
                result.AddError($"--format must be raw, ascii, quoted or hex; got '{format}'.");
            }
        });
        _count.CustomParser = result => ParseNumber<long>(result, long.TryParse, "a whole number of messages");
        _interval.CustomParser = result => ParseNumber<double>(result, double.TryParse, "a number of seconds");
        _delay.CustomParser = result => ParseNumber<double>(result, double.TryParse, "a number of seconds");
        _timeout.CustomParser = result => ParseNumber<double>(result, double.TryParse, "a number of seconds");

        Root = new RootCommand(
            "mscat: a command-line MultiSocket peer. Choose one pattern, dial and/or listen, send a payload and print what arrives.");
        foreach (var pattern in Enum.GetValues<Pattern>())
        {
            var option = new Option<bool>(pattern.Flag()) { Description = Describe(pattern) };
            _patterns.Add(pattern, option);
            Root.Options.Add(option);
        }

        foreach (var option in new Option[] { _dial, _listen, _data, _file, _format, _count, _interval, _delay, _subscribe, _timeout })
        {
            Root.Options.Add(option);
        }

        Root.SetAction(RunAsync);
    }

    /// <summary>The root command, ready to parse.</summary>
    public RootCommand Root { get; }

    /// <summary>
    /// Parses <paramref name="args"/> and runs: exit code 0 when done, 1 on a usage error (each problem on its own line
    /// of stderr), 2 on a runtime error.
    /// </summary>
    public async Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);

        // No response files: "--data @x" must send "@x", not read a file.
        var parse = Root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var errors = parse.Errors.Select(e => e.Message).ToList();

        // The checks across options run once every value parsed, and only for a run (not for --help or --version).
        if (errors.Count == 0 && ReferenceEquals(parse.Action, Root.Action))
        {
            Validate(parse, errors);
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                await _diagnostics.WriteLineAsync($"mscat: {error}").ConfigureAwait(false);
            }

            await _diagnostics.WriteLineAsync("Try 'mscat --help' for the options.").ConfigureAwait(false);
            return ExitCode.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Error = _diagnostics,
            EnableDefaultExceptionHandler = false,

            // The caller's token carries Ctrl+C and SIGTERM (Program), so the socket is disposed before the end.
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private delegate bool TryParseNumber<T>(string text, System.Globalization.NumberStyles styles, IFormatProvider provider, out T value);

    private static T? ParseNumber<T>(System.CommandLine.Parsing.ArgumentResult result, TryParseNumber<T> tryParse, string what)
        where T : struct
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        var styles = System.Globalization.NumberStyles.Float;
        if (typeof(T) == typeof(long))
        {
            styles = System.Globalization.NumberStyles.Integer;
        }

        if (tryParse(text, styles, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        string name = (result.Parent as System.CommandLine.Parsing.OptionResult)?.Option.Name ?? "the option";
        result.AddError($"{name} needs {what}; got '{text}'.");
        return null;
    }

    private static string Describe(Pattern pattern) => pattern switch
    {
        Pattern.Req => "Request/reply, requesting side: send the payload as a request and print the reply.",
        Pattern.Rep => "Request/reply, replying side: print each request and answer it with the payload (or echo it).",
        Pattern.Pub => "Publish/subscribe, publishing side: publish the payload.",
        Pattern.Sub => "Publish/subscribe, subscribing side: print messages matching --subscribe.",
        Pattern.Push => "Pipeline, pushing side: send the payload to one puller at a time.",
        Pattern.Pull => "Pipeline, pulling side: print pushed messages.",
        Pattern.Pair => "Pair: one peer; print what it sends and send the payload, if any.",
        Pattern.Bus => "Bus: print what any peer sends and send the payload, if any, to every peer.",
        Pattern.Surveyor => "Survey, asking side: send the payload to every respondent and print responses until --timeout.",
        Pattern.Respondent => "Survey, answering side: print each survey and answer it with the payload (or echo it).",
        _ => throw new ArgumentOutOfRangeException(nameof(pattern), pattern, "Unknown pattern."),
    };

    private void Validate(ParseResult result, List<string> errors)
    {
        var chosen = _patterns.Where(p => result.GetValue(p.Value)).Select(p => p.Key).ToList();
        if (chosen.Count == 0)
        {
            errors.Add($"choose a pattern: one of {string.Join(", ", _patterns.Keys.Select(p => p.Flag()))}.");
            return;
        }

        if (chosen.Count > 1)
        {
            errors.Add($"choose exactly one pattern, not {string.Join(" and ", chosen.Select(p => p.Flag()))}.");
            return;
        }

        var pattern = chosen[0];
        string flag = pattern.Flag();
        if (Values(result, _dial).Length == 0 && Values(result, _listen).Length == 0)
        {
            errors.Add("give at least one --dial or --listen address.");
        }

        if (pattern == Pattern.Pair && Values(result, _dial).Length + Values(result, _listen).Length > 1)
        {
            errors.Add("--pair has a single peer: give one --dial or --listen address.");
        }

        bool hasData = result.GetValue(_data) is not null;
        bool hasFile = result.GetValue(_file) is not null;
        bool hasPayload = hasData || hasFile;
        if (hasData && hasFile)
        {
            errors.Add("--data and --file both give the payload: use one of them.");
        }

        if (pattern.IsReceiveOnly() && hasPayload)
        {
            errors.Add($"{flag} only receives: --data and --file do not apply.");
        }

        if (pattern.NeedsPayload() && !hasPayload)
        {
            errors.Add($"{flag} sends messages: give the payload with --data <text> or --file <path> (--data \"\" sends empty messages).");
        }

        if (Values(result, _subscribe).Length > 0 && pattern != Pattern.Sub)
        {
            errors.Add($"--subscribe applies to --sub only, not {flag}.");
        }

        if (result.GetValue(_count) is < 0)
        {
            errors.Add("--count must be 0 (unlimited) or a positive number of messages.");
        }

        bool sends = pattern.NeedsPayload() || (pattern is Pattern.Pair or Pattern.Bus && hasPayload);
        CheckSeconds(result, errors, _interval, positive: true, sends, flag, hasPayload);
        CheckSeconds(result, errors, _delay, positive: false, sends, flag, hasPayload);
        CheckSeconds(result, errors, _timeout, positive: true, sends: true, flag, hasPayload);
        if (pattern is Pattern.Push or Pattern.Pub && result.GetValue(_timeout) is not null)
        {
            errors.Add($"--timeout bounds receiving, and {flag} only sends.");
        }
    }

    private static void CheckSeconds(ParseResult result, List<string> errors, Option<double?> option, bool positive, bool sends, string flag, bool hasPayload)
    {
        if (result.GetValue(option) is not { } seconds)
        {
            return;
        }

        if (double.IsNaN(seconds) || seconds < 0 || (positive && seconds == 0) || seconds > MaxSeconds)
        {
            errors.Add($"{option.Name} must be a {(positive ? "positive" : "non-negative")} number of seconds, at most {MaxSeconds:0}; got {seconds}.");
        }
        else if (!sends)
        {
            errors.Add(flag is "--pair" or "--bus" && !hasPayload
                ? $"{option.Name} times sending: give {flag} a payload with --data or --file."
                : $"{option.Name} times sending, and {flag} does not send on its own.");
        }
    }

    private static string[] Values(ParseResult result, Option<string[]> option) => result.GetValue(option) ?? [];

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var pattern = _patterns.Single(p => parse.GetValue(p.Value)).Key;
        byte[]? payload = null;
        if (parse.GetValue(_data) is { } data)
        {
            payload = System.Text.Encoding.UTF8.GetBytes(data);
        }
        else if (parse.GetValue(_file) is { } path)
        {
            try
            {
                payload = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                await _diagnostics.WriteLineAsync($"mscat: cannot read --file '{path}': {ex.Message}").ConfigureAwait(false);
                return ExitCode.Usage;
            }
        }

        var settings = new MscatSettings
        {
            Pattern = pattern,
            Dial = parse.GetValue(_dial) ?? [],
            Listen = parse.GetValue(_listen) ?? [],
            Payload = payload,
            Format = Enum.Parse<MessageFormat>(parse.GetValue(_format) ?? "ascii", ignoreCase: true),
            Count = parse.GetValue(_count),
            Interval = Seconds(parse.GetValue(_interval)),
            Delay = Seconds(parse.GetValue(_delay)) ?? TimeSpan.Zero,
            Subscribe = parse.GetValue(_subscribe) ?? [],
            Timeout = Seconds(parse.GetValue(_timeout)),
        };

        var session = new Session(settings, new MessagePrinter(_output, settings.Format), _diagnostics);
        try
        {
            await session.RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCode.Ok;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C (or SIGTERM): a clean end, the socket is already disposed.
            return ExitCode.Ok;
        }
        catch (AddressException ex)
        {
            await _diagnostics.WriteLineAsync($"mscat: {ex.Message}").ConfigureAwait(false);
            return ExitCode.Usage;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await _diagnostics.WriteLineAsync($"mscat: {Describe(ex)}").ConfigureAwait(false);
            return ExitCode.Runtime;
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        System.Net.Sockets.SocketException socket => $"{socket.Message} ({socket.SocketErrorCode})",
        TimeoutException timeout => $"timed out: {timeout.Message}",
        _ => ex.Message,
    };

    private static TimeSpan? Seconds(double? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;
}
