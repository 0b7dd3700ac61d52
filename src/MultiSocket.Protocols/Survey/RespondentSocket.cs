using System.Runtime.CompilerServices;

namespace MultiSocket.Protocols;

/// <summary>
/// The answering side of surveyor/respondent: receive <see cref="Survey"/>s and answer each with
/// <see cref="Survey.RespondAsync"/>.
/// </summary>
public sealed class RespondentSocket : ProtocolSocket
{
    private long _discarded;

    /// <summary>Creates a respondent socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public RespondentSocket(SocketOptions? options = null)
        : base(Configure(options))
    {
    }

    /// <summary>Messages discarded because they were too short to hold a survey id.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>Waits for the next survey. The caller disposes it when done.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask<Survey> ReceiveSurveyAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        while (true)
        {
            var message = await Socket.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (TryAccept(message) is { } survey)
            {
                return survey;
            }
        }
    }

    /// <summary>
    /// The surveys as a stream: <c>await foreach (var survey in resp.ReceiveSurveysAsync(ct))</c>. Several consumers
    /// may enumerate at once; each survey goes to one. The stream ends when the socket is disposed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Survey> ReceiveSurveysAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ReceiveAllCoreAsync(cancellationToken);
    }

    private async IAsyncEnumerable<Survey> ReceiveAllCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in Socket.ReceiveAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (TryAccept(message) is { } survey)
            {
                yield return survey;
            }
        }
    }

    private Survey? TryAccept(Message message)
    {
        if (IdHeader.TryStrip(message, out uint id) && !message.Source.IsEmpty)
        {
            return new Survey(Socket, id, message);
        }

        message.Dispose();
        Interlocked.Increment(ref _discarded);
        return null;
    }

    private static SocketOptions Configure(SocketOptions? options)
    {
        options ??= SocketOptions.Default;
        if (options.NoSend || options.NoReceive)
        {
            throw new ArgumentException("A respondent socket both sends and receives: NoSend and NoReceive must be false.", nameof(options));
        }

        return options;
    }
}
