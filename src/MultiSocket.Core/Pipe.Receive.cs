using System.Buffers;
using System.IO.Pipelines;
using MultiSocket.Internal;
using MultiSocket.Transport;

namespace MultiSocket;

internal sealed partial class Pipe
{
    // Largest chunk a raw pipe delivers as one message unless the address sets ReadBuffer (as the Go library).
    private const int DefaultRawChunk = 4 * 1024;

    /// <summary>Read loop of a byte-stream pipe: PipeReader → frame decoder → the socket's receiver.</summary>
    private async Task ReadFramesAsync(PipeReader input, CancellationToken token)
    {
        using var decoder = new FrameDecoder(Id, _maxContentLength);
        var receiver = _socket.Receiver;

        // Runs of small whole frames go to the consumers as batches, to be decoded as they are received (see
        // ReceiveBatch); a lone frame, a large frame, one cut by a read's end, or an invalid one is decoded here.
        bool batches = receiver.AcceptsBatches;

        // Reads take no token (a cancellable read registers with it every time it waits); an abort cancels the pending
        // read instead, registered once per pipe.
        var abort = token.UnsafeRegister(static reader => ((PipeReader)reader!).CancelPendingRead(), input);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (true)
                    {
                        long whole = batches ? decoder.WholeFramesLength(buffer, ReceiveBatch.FrameLimit, ReceiveBatch.ByteLimit, ReceiveBatch.MinFrames) : 0;
                        if (whole > 0)
                        {
                            var batch = ReceiveBatch.Open(Id, buffer.Slice(0, whole));
                            buffer = buffer.Slice(whole);
                            var queued = receiver.DeliverAsync(batch.Carrier, token);
                            if (!queued.IsCompletedSuccessfully)
                            {
                                await DeliverBatchSlowAsync(queued, batch).ConfigureAwait(false);
                            }

                            continue;
                        }

                        if (!decoder.TryDecode(ref buffer, out var message))
                        {
                            break;
                        }

                        var delivered = receiver.DeliverAsync(message, token);
                        if (!delivered.IsCompletedSuccessfully)
                        {
                            await delivered.ConfigureAwait(false);
                        }
                    }

                    if (result.IsCanceled)
                    {
                        return;
                    }

                    if (result.IsCompleted)
                    {
                        decoder.Complete(buffer);
                        return;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        finally
        {
            // Unregister first: a reader may refuse CancelPendingRead once completed.
            abort.Dispose();
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    // A batch waits for room in the receive queue; one that never gets there goes back to its pool.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask DeliverBatchSlowAsync(ValueTask queued, ReceiveBatch batch)
    {
        try
        {
            await queued.ConfigureAwait(false);
        }
        catch
        {
            batch.Discard();
            throw;
        }
    }

    /// <summary>
    /// Read loop of a raw pipe: no framing. An empty <see cref="MessageFlags.Raw"/> | <see cref="MessageFlags.Control"/>
    /// message announces the connection, every chunk read (at most the read buffer size) becomes a raw message from
    /// this pipe, and an empty raw message announces end of stream.
    /// </summary>
    private async Task ReadRawAsync(PipeReader input, CancellationToken token)
    {
        int chunk = _readBufferSize > 0 ? _readBufferSize : DefaultRawChunk;
        try
        {
            await DeliverRawAsync(MessageFlags.Raw | MessageFlags.Control, ReadOnlySequence<byte>.Empty, token).ConfigureAwait(false);
            while (true)
            {
                var result = await input.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (!buffer.IsEmpty)
                    {
                        var piece = buffer.Slice(0, Math.Min(buffer.Length, chunk));
                        await DeliverRawAsync(MessageFlags.Raw, piece, token).ConfigureAwait(false);
                        buffer = buffer.Slice(piece.End);
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCanceled)
                {
                    return;
                }

                if (result.IsCompleted)
                {
                    await DeliverRawAsync(MessageFlags.Raw, ReadOnlySequence<byte>.Empty, token).ConfigureAwait(false);
                    return;
                }
            }
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private ValueTask DeliverRawAsync(MessageFlags flags, ReadOnlySequence<byte> content, CancellationToken token)
    {
        var message = Message.Rent((int)content.Length);
        content.CopyTo(message.WritableContent.Span);
        message.SendType = SendType.ToOne;
        message.Flags = flags;
        message.Ttl = _socket.Options.SendTtl;
        message.Source = new MessagePath(Id);
        return _socket.Receiver.DeliverAsync(message, token);
    }

    /// <summary>
    /// "Read loop" of an in-process pipe: none runs. The pipe attaches to its input link, and the peer's sends arrive
    /// through <see cref="TryArrive"/> on the peer's thread (or the consumer's) until either side closes.
    /// </summary>
    private async Task ReadLinkAsync(MessageLink input, CancellationToken token)
    {
        // An abort closes the connection, which ends the link (registered once per pipe).
        using var abort = token.UnsafeRegister(static connection => _ = ((IConnection)connection!).DisposeAsync(), _connection);
        await input.AttachAsync(this).ConfigureAwait(false);
    }

    /// <summary>
    /// New messages from an in-process peer's <see cref="Socket.SendBatchAsync"/>, from
    /// <paramref name="contents"/>[<paramref name="index"/>] on: as many as fit go into this socket's receive queue as
    /// one batch, which consumers decode one message per receive. Returns how many went in; <see cref="RunQueueFull"/>
    /// when the receive queue is full (try again shortly); 0 when the socket does not take batches (it routes arrivals
    /// itself) or fewer than two fit (the caller sends them one by one, which also refuses a content over this pipe's
    /// limit as a single send does).
    /// </summary>
    internal int TryArriveRun(IReadOnlyList<ReadOnlyMemory<byte>> contents, int index, byte ttl)
    {
        var receiver = _socket.Receiver;
        if (!receiver.AcceptsBatches)
        {
            return 0;
        }

        // Encoding a run only to find no room would cost the sender more than the look.
        if (receiver.LooksFull)
        {
            return RunQueueFull;
        }

        var batch = ReceiveBatch.Encode(Id, contents, index, ttl, _maxContentLength, out int taken);
        if (batch is null)
        {
            return 0;
        }

        if (receiver.TryDeliver(batch.Carrier))
        {
            return taken;
        }

        batch.Discard();
        return RunQueueFull;
    }

    /// <summary>What <see cref="TryArriveRun"/> returns when the receive queue is full.</summary>
    internal const int RunQueueFull = -1;

    /// <summary>
    /// A message from an in-process peer, already checked with <see cref="RefuseArrival"/>: it enters this socket's
    /// receive queue if there is room. False when the queue is full, with the message unchanged and still the caller's.
    /// </summary>
    internal bool TryArrive(Message message)
    {
        if (message.IsShared)
        {
            // Sent to several pipes at once: deliver a copy of our own, so the paths can change.
            var copy = message.Clone();
            copy.Arrive(Id);
            if (!_socket.Receiver.TryDeliver(copy))
            {
                copy.Dispose();
                return false;
            }

            message.Dispose();
            return true;
        }

        if (message.TryArriveInPlace(Id, out var undo))
        {
            if (_socket.Receiver.TryDeliver(message))
            {
                return true;
            }

            message.UndoArrival(undo);
            return false;
        }

        // A path longer than four ids: build new paths, and keep the old ones to undo.
        var source = message.Source;
        var destination = message.Destination;
        byte ttl = message.Ttl;
        message.Arrive(Id);
        if (_socket.Receiver.TryDeliver(message))
        {
            return true;
        }

        // Full: undo the bookkeeping so the caller can queue the message or offer it elsewhere.
        message.Source = source;
        message.Destination = destination;
        message.Ttl = ttl;
        return false;
    }

    /// <summary>Asks this pipe's socket to resume <paramref name="writer"/> once its receive queue has room.</summary>
    internal RoomWait WaitForArrivalRoom(IBlockedWriter writer) => _socket.Receiver.WaitForRoom(writer);

    /// <summary>The error that closes this pipe if <paramref name="message"/> arrives on it; null when it may.</summary>
    internal FrameException? RefuseArrival(Message message)
    {
        if (_maxContentLength != 0 && message.Length > _maxContentLength)
        {
            return new FrameException(
                FrameError.ContentTooLong, $"Message content of {message.Length} bytes exceeds the pipe's limit of {_maxContentLength}.");
        }

        if (message.Hops >= MessagePath.MaxLength)
        {
            return new FrameException(FrameError.InvalidPath, "Message has already taken 255 hops; its source path cannot grow.");
        }

        return null;
    }

}
