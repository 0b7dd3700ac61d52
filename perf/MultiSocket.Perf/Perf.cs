using System.Diagnostics;
using MultiSocket;

namespace MultiSocket.Perf;

/// <summary>
/// The four halves of nanomsg's perf tests on MultiSocket sockets. Throughput: the sender first sends one empty
/// message; the receiver starts its clock when that arrives and stops it after <c>count</c> messages of <c>size</c>
/// bytes. Latency: <c>count</c> round trips one at a time, average latency = total / (2 × count), as nanomsg reports.
/// </summary>
internal static class Perf
{
    // Long enough for a large backlog to drain before the sending process exits.
    private static readonly SocketOptions SenderOptions = new() { NoReceive = true, Linger = TimeSpan.FromMinutes(5) };
    private static readonly SocketOptions ReceiverOptions = new() { NoSend = true };
    private static readonly SocketOptions EchoOptions = new() { Linger = TimeSpan.FromSeconds(30) };

    public static async Task<int> LocalThroughputAsync(string address, int size, int count, TextWriter output)
    {
        await using var socket = new Socket(ReceiverOptions);
        await socket.ListenAsync(address);
        return await ReceiveAndReportAsync(socket, size, count, output);
    }

    public static async Task<int> RemoteThroughputAsync(string address, int size, int count)
    {
        await using var socket = new Socket(SenderOptions);
        await socket.DialAsync(address);
        await SendAsync(socket, size, count);
        return 0;
    }

    public static async Task<int> LocalLatencyAsync(string address, int size, int count)
    {
        await using var socket = new Socket(EchoOptions);
        await socket.ListenAsync(address);
        await EchoAsync(socket, size, count);
        return 0;
    }

    public static async Task<int> RemoteLatencyAsync(string address, int size, int count, TextWriter output)
    {
        await using var socket = new Socket(EchoOptions);
        await socket.DialAsync(address);
        return await RoundTripsAndReportAsync(socket, size, count, output);
    }

    public static async Task<int> InprocThroughputAsync(int size, int count, TextWriter output)
    {
        string address = $"inproc://perf-thr-{Environment.ProcessId}";
        await using var receiver = new Socket(ReceiverOptions);
        await receiver.ListenAsync(address);
        await using var sender = new Socket(SenderOptions);
        await sender.DialAsync(address);
        var send = Task.Run(() => SendAsync(sender, size, count));
        int rc = await ReceiveAndReportAsync(receiver, size, count, output);
        await send;
        return rc;
    }

    public static async Task<int> InprocLatencyAsync(int size, int count, TextWriter output)
    {
        string address = $"inproc://perf-lat-{Environment.ProcessId}";
        await using var echo = new Socket(EchoOptions);
        await echo.ListenAsync(address);
        await using var client = new Socket(EchoOptions);
        await client.DialAsync(address);
        var server = Task.Run(() => EchoAsync(echo, size, count));
        int rc = await RoundTripsAndReportAsync(client, size, count, output);
        await server;
        return rc;
    }

    private static async Task SendAsync(Socket socket, int size, int count)
    {
        var payload = new byte[size];
        await socket.SendAsync(ReadOnlyMemory<byte>.Empty);
        for (int i = 0; i < count; i++)
        {
            var sent = socket.SendAsync(payload);
            if (!sent.IsCompletedSuccessfully)
            {
                await sent;
            }
        }
    }

    private static async Task<int> ReceiveAndReportAsync(Socket socket, int size, int count, TextWriter output)
    {
        using (var start = await socket.ReceiveAsync())
        {
            if (start.Length != 0)
            {
                throw new InvalidOperationException($"Expected the empty start message, got {start.Length} bytes.");
            }
        }

        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            if (!socket.TryReceive(out var message))
            {
                message = await socket.ReceiveAsync();
            }

            int length = message.Length;
            message.Dispose();
            if (length != size)
            {
                throw new InvalidOperationException($"Message {i} has {length} bytes; expected {size}.");
            }
        }

        double seconds = Math.Max(Stopwatch.GetElapsedTime(started).TotalSeconds, 1e-6);
        long throughput = (long)(count / seconds);
        double megabits = throughput * (double)size * 8 / 1_000_000;
        output.WriteLine($"message size: {size} [B]");
        output.WriteLine($"message count: {count}");
        output.WriteLine($"throughput: {throughput} [msg/s]");
        output.WriteLine($"throughput: {megabits:0.000} [Mb/s]");
        return 0;
    }

    private static async Task EchoAsync(Socket socket, int size, int count)
    {
        for (int i = 0; i < count; i++)
        {
            using var message = await socket.ReceiveAsync();
            if (message.Length != size)
            {
                throw new InvalidOperationException($"Message {i} has {message.Length} bytes; expected {size}.");
            }

            await socket.SendToAsync(message.Source, message.Content);
        }
    }

    private static async Task<int> RoundTripsAndReportAsync(Socket socket, int size, int count, TextWriter output)
    {
        var payload = new byte[size];
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            await socket.SendAsync(payload);
            using var reply = await socket.ReceiveAsync();
            if (reply.Length != size)
            {
                throw new InvalidOperationException($"Reply {i} has {reply.Length} bytes; expected {size}.");
            }
        }

        double totalUs = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        output.WriteLine($"message size: {size} [B]");
        output.WriteLine($"roundtrip count: {count}");
        output.WriteLine($"average latency: {totalUs / (count * 2):0.000} [us]");
        return 0;
    }
}
