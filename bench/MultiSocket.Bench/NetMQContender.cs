using System.Diagnostics;
using NetMQ;
using NetMQ.Sockets;

namespace MultiSocket.Bench;

/// <summary>
/// The NetMQ side: PushSocket/PullSocket, RequestSocket/ResponseSocket, PublisherSocket/SubscriberSocket. NetMQ
/// sockets are not thread-safe, so each one lives on a thread of its own; receives reuse one <see cref="Msg"/>, the
/// library's cheapest receive path.
/// </summary>
internal sealed class NetMQContender : Contender
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public override string Name => "NetMQ";

    public override async Task<Throughput> PushPullAsync(string transport, int size, int count, int warmup)
    {
        using var pull = new PullSocket();
        using var push = new PushSocket();
        push.Connect(Bind(pull, transport, "pushpull"));
        var payload = new byte[size];

        Fill(push, pull, payload, warmup);
        Fill(push, pull, payload, warmup);
        await WarmUpAsync(() => Transfer(push, pull, payload, warmup));
        var allocation = AllocationWindow.Open();
        long start = Stopwatch.GetTimestamp();
        await Transfer(push, pull, payload, count);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Throughput(count, seconds, allocation.Close(), count);
    }

    // As MultiSocketContender.FillAsync: every queue full once, then drained.
    private static void Fill(PushSocket push, PullSocket pull, byte[] payload, int max)
    {
        int sent = 0;
        while (sent < max && push.TrySendFrame(TimeSpan.FromMilliseconds(100), payload))
        {
            sent++;
        }

        var msg = default(Msg);
        msg.InitEmpty();
        for (int i = 0; i < sent; i++)
        {
            Receive(pull, ref msg);
        }

        msg.Close();
    }

    private static Task Transfer(PushSocket push, PullSocket pull, byte[] payload, int count)
    {
        var receive = OnThread(() =>
        {
            var msg = default(Msg);
            msg.InitEmpty();
            for (int i = 0; i < count; i++)
            {
                Receive(pull, ref msg);
            }

            msg.Close();
        });
        var send = OnThread(() =>
        {
            for (int i = 0; i < count; i++)
            {
                push.SendFrame(payload);
            }
        });
        return Task.WhenAll(receive, send);
    }

    public override async Task<Latency> RequestReplyAsync(string transport, int size, int count, int warmup)
    {
        using var rep = new ResponseSocket();
        using var req = new RequestSocket();
        req.Connect(Bind(rep, transport, "reqrep"));
        var payload = new byte[size];
        var server = OnThread(() =>
        {
            // Echoes until the client's end message (the warm-up's length is set by time, not count).
            var msg = default(Msg);
            msg.InitEmpty();
            bool end;
            do
            {
                Receive(rep, ref msg);
                end = msg.Size > 0 && msg.Slice()[0] == End;
                rep.Send(ref msg, more: false);
            }
            while (!end);

            msg.Close();
        });

        var ticks = new long[count];
        long allocated = 0;
        var client = OnThread(() =>
        {
            var msg = default(Msg);
            msg.InitEmpty();
            WarmUp(() =>
            {
                for (int i = 0; i < warmup; i++)
                {
                    req.SendFrame(payload);
                    Receive(req, ref msg);
                }
            });

            var allocation = AllocationWindow.Open();
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                req.SendFrame(payload);
                Receive(req, ref msg);
                ticks[i] = Stopwatch.GetTimestamp() - start;
            }

            allocated = allocation.Close();
            var end = new byte[Math.Max(1, size)];
            end[0] = End;
            req.SendFrame(end);
            Receive(req, ref msg);
            msg.Close();
        });
        await Task.WhenAll(client, server);
        return Latency.From(ticks, allocated);
    }

    public override async Task<Throughput> PublishSubscribeAsync(string transport, int size, TimeSpan duration, int subscribers)
    {
        using var pub = new PublisherSocket();
        string address = Bind(pub, transport, "pubsub");
        var subs = new SubscriberSocket[subscribers];
        var counters = new SubscriberCounter[subscribers];
        var loops = new Task[subscribers];
        try
        {
            for (int i = 0; i < subs.Length; i++)
            {
                subs[i] = new SubscriberSocket();
                subs[i].Connect(address);
                subs[i].SubscribeToAnyTopic();
                counters[i] = new SubscriberCounter();
                var (sub, counter) = (subs[i], counters[i]);
                loops[i] = OnThread(() => SubscribeLoop(sub, counter));
            }

            long start = 0;
            long allocated = 0;
            long sent = 0;
            await OnThread(() =>
            {
                var probe = new byte[size];
                probe[0] = Probe;
                var clock = Stopwatch.StartNew();
                while (!counters.All(c => c.Ready))
                {
                    pub.SendFrame(probe);
                    Thread.Sleep(1);
                    if (clock.Elapsed > Timeout)
                    {
                        throw new TimeoutException("Subscribers did not connect.");
                    }
                }

                PublishFor(pub, probe, Max(duration / 4, WarmUpTime));
                var payload = new byte[size];
                var allocation = AllocationWindow.Open();
                start = Stopwatch.GetTimestamp();
                sent = PublishFor(pub, payload, duration);

                var end = new byte[size];
                end[0] = End;
                while (!loops.All(l => l.IsCompleted))
                {
                    pub.SendFrame(end);
                    Thread.Sleep(1);
                }

                allocated = allocation.Close();
            });
            await Task.WhenAll(loops);
            return SubscriberCounter.Average(counters, start, allocated, sent);
        }
        finally
        {
            foreach (var sub in subs)
            {
                sub?.Dispose();
            }
        }
    }

    private static long PublishFor(PublisherSocket pub, byte[] payload, TimeSpan duration)
    {
        long sent = 0;
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        do
        {
            for (int i = 0; i < 256; i++)
            {
                pub.SendFrame(payload);
            }

            sent += 256;
        }
        while (Stopwatch.GetTimestamp() < end);
        return sent;
    }

    private static void SubscribeLoop(SubscriberSocket sub, SubscriberCounter counter)
    {
        var msg = default(Msg);
        msg.InitEmpty();
        while (true)
        {
            Receive(sub, ref msg);
            byte kind = msg.Size > 0 ? msg.Slice()[0] : Data;
            if (kind == End)
            {
                break;
            }

            counter.On(kind);
        }

        msg.Close();
    }

    private static void Receive(NetMQSocket socket, ref Msg msg)
    {
        if (!socket.TryReceive(ref msg, Timeout))
        {
            throw new TimeoutException("NetMQ receive timed out.");
        }
    }

    private static string Bind(NetMQSocket socket, string transport, string what)
    {
        switch (transport)
        {
            case "tcp":
                int port = socket.BindRandomPort("tcp://127.0.0.1");
                return $"tcp://127.0.0.1:{port}";
            case "inproc":
                string address = UniqueInproc(what);
                socket.Bind(address);
                return address;
            default:
                throw new ArgumentException($"Unknown transport {transport}", nameof(transport));
        }
    }

    private static Task OnThread(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }
}
