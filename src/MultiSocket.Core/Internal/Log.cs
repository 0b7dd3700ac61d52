using Microsoft.Extensions.Logging;

namespace MultiSocket.Internal;

/// <summary>Log messages of the socket core (source-generated, no allocation when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Pipe {PipeId} added: {LocalAddress} <-> {RemoteAddress}")]
    public static partial void PipeAdded(ILogger logger, uint pipeId, string localAddress, string remoteAddress);

    [LoggerMessage(2, LogLevel.Debug, "Pipe {PipeId} removed: {LocalAddress} <-> {RemoteAddress}")]
    public static partial void PipeRemoved(ILogger logger, uint pipeId, string localAddress, string remoteAddress);

    [LoggerMessage(3, LogLevel.Warning, "Pipe {PipeId} ({RemoteAddress}) closed on a bad frame: {Reason}")]
    public static partial void BadFrame(ILogger logger, Exception exception, uint pipeId, string remoteAddress, FrameError reason);

    [LoggerMessage(4, LogLevel.Information, "Pipe {PipeId} ({RemoteAddress}) closed on a transport error")]
    public static partial void PipeFailed(ILogger logger, Exception exception, uint pipeId, string remoteAddress);

    [LoggerMessage(5, LogLevel.Information, "Refused a connection from {RemoteAddress}: the socket is at its pipe limit of {Limit}")]
    public static partial void PipeRefused(ILogger logger, string remoteAddress, int limit);

    [LoggerMessage(6, LogLevel.Debug, "Dial {Address} failed; next attempt in {Delay}")]
    public static partial void RedialFailed(ILogger logger, Exception exception, string address, TimeSpan delay);

    [LoggerMessage(7, LogLevel.Warning, "Listener {Address} stopped accepting")]
    public static partial void AcceptFailed(ILogger logger, Exception exception, string address);

    [LoggerMessage(8, LogLevel.Warning, "Pipe event handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "Switch middleware threw; the message from pipe {PipeId} was dropped")]
    public static partial void MiddlewareFailed(ILogger logger, Exception exception, uint pipeId);
}
