namespace MultiSocket.Protocols;

/// <summary>
/// The answering side of surveyor/respondent: receive <see cref="Survey"/>s and answer each with
/// <see cref="Survey.RespondAsync"/>.
/// </summary>
public sealed class RespondentSocket : AnsweringSocket<Survey>
{
    /// <summary>Creates a respondent socket.</summary>
    /// <param name="options">Socket options; null for <see cref="SocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options turn off sending or receiving.</exception>
    public RespondentSocket(SocketOptions? options = null)
        : base(options, "respondent", static (socket, id, message) => new Survey(socket, id, message))
    {
    }

    /// <summary>Waits for the next survey. The caller disposes it when done.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<Survey> ReceiveSurveyAsync(CancellationToken cancellationToken = default) => ReceiveOneAsync(cancellationToken);

    /// <summary>
    /// The surveys as a stream: <c>await foreach (var survey in resp.ReceiveSurveysAsync(ct))</c>. Several consumers
    /// may enumerate at once; each survey goes to one. The stream ends when the socket is disposed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public IAsyncEnumerable<Survey> ReceiveSurveysAsync(CancellationToken cancellationToken = default) => ReceiveEveryAsync(cancellationToken);
}
