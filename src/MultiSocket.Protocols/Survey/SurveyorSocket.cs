using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MultiSocket.Protocols;

/// <summary>
/// The asking side of surveyor/respondent: <see cref="SurveyAsync"/> sends a question to every connected respondent
/// and yields their responses until a deadline. Responses find their survey by the 4-byte big-endian survey id in
/// front of the content; those that come after the deadline, or belong to no running survey, are discarded and
/// counted in <see cref="Discarded"/>. Several surveys may run at once.
/// </summary>
public sealed class SurveyorSocket : ProtocolSocket
{
    private readonly ConcurrentDictionary<uint, Channel<Message>> _surveys = new();
    private int _nextId = Random.Shared.Next();
    private long _discarded;

    /// <summary>Creates a surveyor socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public SurveyorSocket(SocketOptions? options = null)
        : base(RequireDuplex(options, "A surveyor socket both sends and receives"))
    {
        // Responses go to their surveys as they arrive, on the delivering thread (no loop reading the receive queue).
        Socket.InterceptArrivals(OnArrival);
    }

    /// <summary>Responses discarded: late (after their survey's deadline), for no running survey, or malformed.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>
    /// Sends <paramref name="content"/> to every connected respondent and yields their responses (content without
    /// the survey id; the caller disposes each) until <paramref name="deadline"/> has passed, then ends. The survey is
    /// sent when the enumeration starts; the deadline counts from then. Responses that arrived before the deadline are
    /// yielded even when the caller takes them after it. Stopping the enumeration early, or disposing the socket, ends
    /// the survey.
    /// </summary>
    /// <param name="content">The question.</param>
    /// <param name="deadline">How long to collect responses: positive, or <see cref="Timeout.InfiniteTimeSpan"/> to collect until cancelled.</param>
    /// <param name="cancellationToken">Cancels the survey: the enumerator throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deadline"/> is zero or negative.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Message> SurveyAsync(ReadOnlyMemory<byte> content, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        if (deadline != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(deadline, TimeSpan.Zero);
        }

        ThrowIfDisposed();
        return RunSurveyAsync(content, deadline, cancellationToken);
    }

    private async IAsyncEnumerable<Message> RunSurveyAsync(
        ReadOnlyMemory<byte> content, TimeSpan deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var responses = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
        uint id;
        do
        {
            id = IdHeader.Next(ref _nextId);
        }
        while (!_surveys.TryAdd(id, responses));

        // The survey ends by completing its channel, at the deadline (a timer) or when the socket stops: the reader
        // takes what has arrived and then sees the end. (A wait cancelled at the deadline threw and caught an
        // exception per survey.) Only the caller's token ends it with OperationCanceledException.
        using var stopping = Stopping.UnsafeRegister(EndSurvey, responses.Writer);
        Timer? timer = null;
        try
        {
            var question = IdHeader.Create(id, content.Span, SendType.ToAll, Socket.Options.SendTtl);
            await Socket.SendMessageAsync(question, cancellationToken).ConfigureAwait(false);
            if (deadline != Timeout.InfiniteTimeSpan)
            {
                timer = new Timer(EndSurvey, responses.Writer, deadline, Timeout.InfiniteTimeSpan);
            }

            while (await responses.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (responses.Reader.TryRead(out var response))
                {
                    yield return response;
                }
            }
        }
        finally
        {
            timer?.Dispose();
            _surveys.TryRemove(new KeyValuePair<uint, Channel<Message>>(id, responses));
            responses.Writer.TryComplete();
            while (responses.Reader.TryRead(out var late))
            {
                late.Dispose();
                Interlocked.Increment(ref _discarded);
            }
        }
    }

    // The deadline's timer and the socket's stop: no more responses; the reader takes what arrived, then ends.
    private static void EndSurvey(object? writer) => ((ChannelWriter<Message>)writer!).TryComplete();

    // Every message that arrives is a response (or is discarded): the receive queue is never used.
    private bool OnArrival(Message message)
    {
        if (!IdHeader.TryStrip(message, out uint id) || !_surveys.TryGetValue(id, out var survey) || !survey.Writer.TryWrite(message))
        {
            message.Dispose();
            Interlocked.Increment(ref _discarded);
        }

        return true;
    }
}
