using System.IO.Pipelines;

namespace MultiSocket.Transport;

/// <summary>A connection that carries a byte stream; the pipe frames messages onto it with the native codec.</summary>
public interface IStreamConnection : IConnection
{
    /// <summary>
    /// The duplex byte stream. The pipe completes both ends when it closes; completing <c>Input</c> from the
    /// transport side signals end of stream.
    /// </summary>
    System.IO.Pipelines.IDuplexPipe Transport { get; }
}
