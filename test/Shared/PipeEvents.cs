using System.Collections.Concurrent;

namespace MultiSocket.Testing;

/// <summary>Records a socket's <see cref="Socket.PipeAdded"/> and <see cref="Socket.PipeRemoved"/> events in order.</summary>
public sealed class PipeEvents
{
    private readonly ConcurrentQueue<(bool Added, PipeEventArgs Args)> _events = new();

    public PipeEvents(Socket socket)
    {
        socket.PipeAdded += (_, e) => _events.Enqueue((true, e));
        socket.PipeRemoved += (_, e) => _events.Enqueue((false, e));
    }

    public IReadOnlyList<(bool Added, PipeEventArgs Args)> All => [.. _events];

    public IReadOnlyList<PipeEventArgs> Added => _events.Where(e => e.Added).Select(e => e.Args).ToList();

    public IReadOnlyList<PipeEventArgs> Removed => _events.Where(e => !e.Added).Select(e => e.Args).ToList();

    /// <summary>Waits for the first added pipe that matches <paramref name="match"/>.</summary>
    public async Task<PipeEventArgs> WaitAddedAsync(Func<PipeEventArgs, bool>? match = null)
    {
        PipeEventArgs? found = null;
        await Wait.UntilAsync(() => (found = Added.FirstOrDefault(match ?? (_ => true))) is not null, "a PipeAdded event");
        return found!;
    }

    /// <summary>Waits for the removal of pipe <paramref name="pipeId"/>.</summary>
    public async Task<PipeEventArgs> WaitRemovedAsync(uint pipeId)
    {
        PipeEventArgs? found = null;
        await Wait.UntilAsync(() => (found = Removed.FirstOrDefault(e => e.PipeId == pipeId)) is not null, $"PipeRemoved for pipe {pipeId}");
        return found!;
    }
}
