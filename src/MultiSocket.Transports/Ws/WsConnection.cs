using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Ws;

/// <summary>
/// A websocket as a duplex byte pipe. Outgoing, each MultiSocket frame the pipe writes becomes exactly one binary
/// websocket message (a raw pipe sends each flushed chunk as one message); incoming, message payloads are streamed
/// into the input pipe, where the frame decoder reassembles frames as from any byte stream.
/// </summary>
internal sealed class WsConnection : IStreamConnection, IDuplexPipe
{
    /// <summary>The subprotocol MultiSocket's binary framing runs under (as the Go library).</summary>
    public const string BinaryProtocol = "multisocket.binary";

    /// <summary>The text subprotocol the Go client also offers; never selected here.</summary>
    public const string TextProtocol = "multisocket.text";

    private const int FlushThreshold = 64 * 1024;
    private const int DefaultReadSize = 16 * 1024;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);

    private readonly WebSocket _socket;
    private readonly System.IO.Pipelines.Pipe _input;
    private readonly System.IO.Pipelines.Pipe _output;
    private readonly IDisposable? _owned;
    private readonly bool _raw;
    private readonly int _readSize;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private readonly Task _sending;
    private int _disposed;

    public WsConnection(WebSocket socket, string localAddress, string remoteAddress, TransportOptions options, IDisposable? owned)
    {
        _socket = socket;
        _owned = owned;
        _raw = options.Raw;
        _readSize = options.ReadBufferSize > 0 ? options.ReadBufferSize : DefaultReadSize;
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        var pipeOptions = new PipeOptions(
            pauseWriterThreshold: 1024 * 1024,
            resumeWriterThreshold: 512 * 1024,
            minimumSegmentSize: _readSize,
            useSynchronizationContext: false);
        _input = new System.IO.Pipelines.Pipe(pipeOptions);
        _output = new System.IO.Pipelines.Pipe(pipeOptions);
        _receiving = Task.Run(ReceiveLoopAsync);
        _sending = Task.Run(SendLoopAsync);
    }

    public IDuplexPipe Transport => this;

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    public string LocalAddress { get; }

    public string RemoteAddress { get; }

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        var token = _stop.Token;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(writer.GetMemory(_readSize), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                writer.Advance(result.Count);
                if (result.EndOfMessage || writer.UnflushedBytes >= FlushThreshold)
                {
                    var flushed = await writer.FlushAsync(token).ConfigureAwait(false);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException ex) when (ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
        {
            // The peer went away without a closing handshake: end of stream; a frame cut short is the decoder's call.
        }
        catch (Exception ex)
        {
            error = ex;
        }

        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        var token = _stop.Token;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (_raw)
                    {
                        if (!buffer.IsEmpty)
                        {
                            await SendMessageAsync(buffer, token).ConfigureAwait(false);
                            buffer = buffer.Slice(buffer.End);
                        }
                    }
                    else
                    {
                        while (TryGetFrameLength(buffer, out long length) && buffer.Length >= length)
                        {
                            await SendMessageAsync(buffer.Slice(0, length), token).ConfigureAwait(false);
                            buffer = buffer.Slice(length);
                        }
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            // Everything written went out: tell the peer we are done sending.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(CloseTimeout);
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing or gone: the receive side reports the end of the connection.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The whole length of the frame at the start of <paramref name="buffer"/>, once its header is there.</summary>
    private static bool TryGetFrameLength(in ReadOnlySequence<byte> buffer, out long length)
    {
        Span<byte> header = stackalloc byte[8];
        if (buffer.Length < header.Length)
        {
            length = 0;
            return false;
        }

        buffer.Slice(0, header.Length).CopyTo(header);
        length = header.Length + (4L * (header[2] + header[3])) + BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        return true;
    }

    /// <summary>Sends <paramref name="payload"/> as one binary websocket message, segment by segment.</summary>
    private ValueTask SendMessageAsync(ReadOnlySequence<byte> payload, CancellationToken token)
    {
        if (payload.IsSingleSegment)
        {
            return _socket.SendAsync(payload.First, WebSocketMessageType.Binary, endOfMessage: true, token);
        }

        return SendSegmentsAsync(payload, token);
    }

    private async ValueTask SendSegmentsAsync(ReadOnlySequence<byte> payload, CancellationToken token)
    {
        var position = payload.Start;
        payload.TryGet(ref position, out var current);
        while (payload.TryGet(ref position, out var next))
        {
            await _socket.SendAsync(current, WebSocketMessageType.Binary, endOfMessage: false, token).ConfigureAwait(false);
            current = next;
        }

        await _socket.SendAsync(current, WebSocketMessageType.Binary, endOfMessage: true, token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The send loop ends by itself once the pipe completed its output (closing handshake sent); give it that long.
        await Task.WhenAny(_sending, Task.Delay(CloseTimeout)).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        await Task.WhenAll(_receiving, _sending).ConfigureAwait(false);
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        _socket.Dispose();
        _owned?.Dispose();
        _stop.Dispose();
    }
}
