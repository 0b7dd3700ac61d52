using System.Diagnostics;
using MultiSocket.Protocols;

namespace MultiSocket.Tools.Mscat;

/// <summary>
/// Runs one mscat invocation: creates the pattern's socket, listens and dials, then sends and/or receives as the
/// pattern and the settings say. Received messages go to the <see cref="MessagePrinter"/>, diagnostics to
/// <c>diagnostics</c>.
/// </summary>
internal sealed class Session
{
    private readonly MscatSettings _settings;
    private readonly MessagePrinter _printer;
    private readonly TextWriter _diagnostics;

    /// <summary>Creates a session; nothing happens until <see cref="RunAsync"/>.</summary>
    public Session(MscatSettings settings, MessagePrinter printer, TextWriter diagnostics)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(printer);
        ArgumentNullException.ThrowIfNull(diagnostics);
        _settings = settings;
        _printer = printer;
        _diagnostics = diagnostics;
    }

    /// <summary>
    /// Runs until the work is done (count reached, timeout passed) or <paramref name="cancellationToken"/> is
    /// cancelled; the socket is disposed either way.
    /// </summary>
    /// <exception cref="AddressException">A --dial or --listen address is invalid.</exception>
    /// <exception cref="IOException">An address could not be dialed or bound, or the output is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="TimeoutException">A request got no reply in time (req).</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var socket = CreateSocket();
        await ConnectAsync(socket, cancellationToken).ConfigureAwait(false);
        switch (socket)
        {
            case RequestSocket req:
                await RunRequesterAsync(req, cancellationToken).ConfigureAwait(false);
                break;
            case ReplySocket rep:
                await ReceiveLoopAsync(
                    rep.ReceiveRequestAsync,
                    (request, ct) =>
                    {
                        _printer.Print(request.Content.Span);
                        return request.ReplyAsync(_settings.Payload ?? request.Content, ct);
                    },
                    _settings.ReceiveCount,
                    sending: null,
                    cancellationToken).ConfigureAwait(false);
                break;
            case RespondentSocket respondent:
                await ReceiveLoopAsync(
                    respondent.ReceiveSurveyAsync,
                    (survey, ct) =>
                    {
                        _printer.Print(survey.Content.Span);
                        return survey.RespondAsync(_settings.Payload ?? survey.Content, ct);
                    },
                    _settings.ReceiveCount,
                    sending: null,
                    cancellationToken).ConfigureAwait(false);
                break;
            case SurveyorSocket surveyor:
                await RunSurveyorAsync(surveyor, cancellationToken).ConfigureAwait(false);
                break;
            case PublisherSocket pub:
                await SendLoopAsync(pub.PublishAsync, cancellationToken).ConfigureAwait(false);
                break;
            case PushSocket push:
                await SendLoopAsync(push.SendAsync, cancellationToken).ConfigureAwait(false);
                break;
            case SubscriberSocket sub:
                await ReceiveLoopAsync(SkipRawSignals(sub.ReceiveAsync), PrintAsync, _settings.ReceiveCount, null, cancellationToken).ConfigureAwait(false);
                break;
            case PullSocket pull:
                await ReceiveLoopAsync(SkipRawSignals(pull.ReceiveAsync), PrintAsync, _settings.ReceiveCount, null, cancellationToken).ConfigureAwait(false);
                break;
            case PairSocket pair:
                await RunPeerAsync(pair.SendAsync, pair.ReceiveAsync, cancellationToken).ConfigureAwait(false);
                break;
            case BusSocket bus:
                await RunPeerAsync(bus.SendAsync, bus.ReceiveAsync, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new UnreachableException($"No runner for {socket.GetType().Name}.");
        }
    }

    /// <summary>
    /// Pull and sub have nothing of their own to flush at exit: no linger, so they end at once even when a peer (a raw
    /// client, say) keeps its side of the connection open.
    /// </summary>
    private static SocketOptions ReceiveOnly => SocketOptions.Default with { Linger = TimeSpan.Zero };

    private ProtocolSocket CreateSocket()
    {
        switch (_settings.Pattern)
        {
            case Pattern.Req:
                // A command-line requester waits as long as the user lets it unless --timeout says otherwise.
                var timeout = _settings.Timeout ?? System.Threading.Timeout.InfiniteTimeSpan;
                return new RequestSocket(requestOptions: new RequestOptions { Timeout = timeout });
            case Pattern.Rep:
                return new ReplySocket();
            case Pattern.Pub:
                return new PublisherSocket();
            case Pattern.Sub:
                var sub = new SubscriberSocket(ReceiveOnly);
                if (_settings.Subscribe.Count == 0)
                {
                    sub.Subscribe(ReadOnlySpan<byte>.Empty);
                }

                foreach (var prefix in _settings.Subscribe)
                {
                    sub.Subscribe(prefix);
                }

                return sub;
            case Pattern.Push:
                return new PushSocket();
            case Pattern.Pull:
                return new PullSocket(ReceiveOnly);
            case Pattern.Pair:
                return new PairSocket();
            case Pattern.Bus:
                return new BusSocket();
            case Pattern.Surveyor:
                return new SurveyorSocket();
            case Pattern.Respondent:
                return new RespondentSocket();
            default:
                throw new UnreachableException($"Unknown pattern {_settings.Pattern}.");
        }
    }

    /// <summary>Binds every listen address (printing the bound address), then dials every dial address.</summary>
    private async Task ConnectAsync(ProtocolSocket socket, CancellationToken cancellationToken)
    {
        foreach (var address in _settings.Listen)
        {
            var listener = await WithAddressAsync("listen on", address, () => socket.ListenAsync(address, cancellationToken)).ConfigureAwait(false);
            await _diagnostics.WriteLineAsync($"listening on {listener.BoundAddress}").ConfigureAwait(false);
        }

        foreach (var address in _settings.Dial)
        {
            await WithAddressAsync("dial", address, () => socket.DialAsync(address, cancellationToken)).ConfigureAwait(false);
            await _diagnostics.WriteLineAsync($"connected to {address}").ConfigureAwait(false);
        }
    }

    /// <summary>Tells a bad address (a usage error) apart from a failure to connect (a runtime error).</summary>
    private static async Task<T> WithAddressAsync<T>(string verb, string address, Func<Task<T>> connect)
    {
        try
        {
            return await connect().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException)
        {
            throw new AddressException(address, ex);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new IOException($"cannot {verb} {address}: {ex.Message} ({ex.SocketErrorCode})", ex);
        }
    }

    private async Task RunRequesterAsync(RequestSocket req, CancellationToken cancellationToken)
    {
        await SendLoopAsync(
            async (payload, ct) =>
            {
                using var reply = await req.RequestAsync(payload, ct).ConfigureAwait(false);
                _printer.Print(reply.Content.Span);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task RunSurveyorAsync(SurveyorSocket surveyor, CancellationToken cancellationToken)
    {
        var deadline = _settings.Timeout ?? TimeSpan.FromSeconds(1);
        await SendLoopAsync(
            async (payload, ct) =>
            {
                await foreach (var response in surveyor.SurveyAsync(payload, deadline, ct).ConfigureAwait(false))
                {
                    using (response)
                    {
                        _printer.Print(response.Content.Span);
                    }
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Pair and bus: print what arrives while sending the payload (if any). With a payload the run ends after the last
    /// send, or with <c>--timeout</c> once no message came for that long after it; without one it is a receiver.
    /// </summary>
    private async Task RunPeerAsync(
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send,
        Func<CancellationToken, ValueTask<Message>> receive,
        CancellationToken cancellationToken)
    {
        receive = SkipRawSignals(receive);
        if (!_settings.Sends)
        {
            await ReceiveLoopAsync(receive, PrintAsync, _settings.ReceiveCount, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = new SendProgress();
        var receiving = ReceiveLoopAsync(receive, PrintAsync, 0, sending, stopReceiving.Token);

        // A receive loop that fails (stdout closed) ends the sending too, and its error is the one reported.
        _ = receiving.ContinueWith(
            static (_, state) => ((CancellationTokenSource)state!).Cancel(),
            stopSending,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            await SendLoopAsync(send, stopSending.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (receiving.IsFaulted)
        {
            await receiving.ConfigureAwait(false);
        }
        finally
        {
            sending.Finish();
            if (_settings.Timeout is null)
            {
                await stopReceiving.CancelAsync().ConfigureAwait(false);
            }
        }

        try
        {
            await receiving.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopReceiving.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Sending is done and no --timeout asked to wait for more.
        }
    }

    /// <summary>Sends the payload <see cref="MscatSettings.SendCount"/> times, after the delay, spaced by the interval.</summary>
    private async Task SendLoopAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send, CancellationToken cancellationToken)
    {
        var payload = _settings.Payload ?? throw new UnreachableException("A sending pattern runs with a payload.");
        if (_settings.Delay > TimeSpan.Zero)
        {
            await Task.Delay(_settings.Delay, cancellationToken).ConfigureAwait(false);
        }

        long count = _settings.SendCount;
        for (long sent = 0; count == 0 || sent < count; sent++)
        {
            if (sent > 0 && _settings.Interval is { } interval)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }

            await send(payload, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Receives and handles items until <paramref name="count"/> were handled (0 = unlimited), or no item came within
    /// <c>--timeout</c>. While <paramref name="sending"/> (pair/bus) is still going, the timeout only counts from its end.
    /// Only the wait for an item is bounded by the timeout; handling it (printing, replying) is not.
    /// </summary>
    private async Task ReceiveLoopAsync<T>(
        Func<CancellationToken, ValueTask<T>> receive,
        Func<T, CancellationToken, ValueTask> handle,
        long count,
        SendProgress? sending,
        CancellationToken cancellationToken)
        where T : IDisposable
    {
        if (_settings.Timeout is not { } timeout)
        {
            for (long received = 0; count == 0 || received < count; received++)
            {
                using var item = await receive(cancellationToken).ConfigureAwait(false);
                await handle(item, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var wait = timeout;
            for (long received = 0; count == 0 || received < count;)
            {
                idle.CancelAfter(wait);
                T item;
                try
                {
                    item = await receive(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    var left = sending?.Remaining(timeout) ?? TimeSpan.Zero;
                    if (left <= TimeSpan.Zero)
                    {
                        await _diagnostics.WriteLineAsync($"no message within {timeout.TotalSeconds:0.###} s").ConfigureAwait(false);
                        return;
                    }

                    // Still sending, or sending ended less than a timeout ago: keep listening.
                    wait = left;
                    idle.Dispose();
                    idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    continue;
                }

                using (item)
                {
                    await handle(item, cancellationToken).ConfigureAwait(false);
                }

                received++;
                wait = timeout;
                if (!idle.TryReset())
                {
                    idle.Dispose();
                    idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                }
            }
        }
        finally
        {
            idle.Dispose();
        }
    }

    /// <summary>
    /// Raw pipes (<c>?Raw=true</c>) announce a new plain client and its end of stream with empty messages: those are
    /// reported on stderr, not printed or counted.
    /// </summary>
    private Func<CancellationToken, ValueTask<Message>> SkipRawSignals(Func<CancellationToken, ValueTask<Message>> receive) =>
        async cancellationToken =>
        {
            while (true)
            {
                var message = await receive(cancellationToken).ConfigureAwait(false);
                bool connected = message.Flags.HasFlag(MessageFlags.Raw | MessageFlags.Control) && message.Length == 0;
                if (!connected && !message.IsEndOfStream)
                {
                    return message;
                }

                uint pipe = message.PipeId;
                message.Dispose();
                await _diagnostics.WriteLineAsync(connected ? $"raw peer {pipe} connected" : $"raw peer {pipe} closed its stream").ConfigureAwait(false);
            }
        };

    private ValueTask PrintAsync(Message message, CancellationToken cancellationToken)
    {
        _printer.Print(message.Content.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>When the sending side of a pair/bus run finished, so the receive timeout counts from then.</summary>
    private sealed class SendProgress
    {
        private long _finishedAt;

        /// <summary>Marks sending as finished now.</summary>
        public void Finish() => Interlocked.Exchange(ref _finishedAt, Stopwatch.GetTimestamp());

        /// <summary>How much of <paramref name="timeout"/> is left counting from the end of sending (all of it while sending).</summary>
        public TimeSpan Remaining(TimeSpan timeout)
        {
            long finishedAt = Interlocked.Read(ref _finishedAt);
            return finishedAt == 0 ? timeout : timeout - Stopwatch.GetElapsedTime(finishedAt);
        }
    }
}
