using System.Threading.Tasks.Sources;

namespace MultiSocket.Internal;

/// <summary>
/// A reusable one-shot wait: armed with a token, completed once by <see cref="TrySet(bool)"/> (true: signalled) or by the
/// token (false: cancelled). Waiting through one costs no allocation, unlike a channel wait with a cancellable
/// token; the token registration itself is pooled by the runtime.
/// </summary>
internal sealed class Waiter : IValueTaskSource<bool>, IBlockedWriter
{
    private static readonly ObjectPool<Waiter> Pool = new(() => new Waiter(), 256);

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;

    // The wait armed last (an even number, new for every Arm) plus 1 once it is completed: a setter that queued the
    // waiter for an earlier wait (see WaiterEntry) can tell that wait is over.
    private int _state;

    /// <summary>A pooled waiter, armed with <paramref name="cancellationToken"/>; wait with <see cref="WaitThenReturnAsync"/>.</summary>
    public static Waiter Rent(CancellationToken cancellationToken)
    {
        var waiter = Pool.Rent();
        waiter.Arm(cancellationToken);
        return waiter;
    }

    /// <summary>
    /// Waits for a waiter from <see cref="Rent"/> to be set, then returns it to the pool.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token fired first. The waiter then stays wherever it was queued
    /// until the setter skips it, so it is not reused.</exception>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask WaitThenReturnAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        if (!await waiter.WaitAsync().ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        Pool.Return(waiter);
    }

    /// <summary>Returns a waiter from <see cref="Rent"/> that was never queued anywhere (nobody can set it).</summary>
    public static void ReturnUnused(Waiter waiter)
    {
        waiter.TrySet(false);
        waiter._registration.Dispose();
        waiter._registration = default;
        Pool.Return(waiter);
    }

    /// <summary>Starts a wait; complete it with <see cref="TrySet(bool)"/>.</summary>
    public void Arm(CancellationToken cancellationToken)
    {
        _core.Reset();
        Volatile.Write(ref _state, (_state | 1) + 1);
        _registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static waiter => ((Waiter)waiter!).TrySet(false), this)
            : default;
    }

    /// <summary>The wait armed last: true when signalled, false when cancelled.</summary>
    public ValueTask<bool> WaitAsync() => new(this, _core.Version);

    /// <summary>The wait armed last, for <see cref="WaiterEntry"/>.</summary>
    public int Generation => Volatile.Read(ref _state) & ~1;

    /// <summary>Completes the wait; false when it was already completed (signalled or cancelled).</summary>
    public bool TrySet(bool signalled) => TrySet(signalled, Generation);

    /// <summary>Completes wait <paramref name="generation"/>; false when that wait is over (or was never armed).</summary>
    public bool TrySet(bool signalled, int generation)
    {
        if (Interlocked.CompareExchange(ref _state, generation | 1, generation) != generation)
        {
            return false;
        }

        _core.SetResult(signalled);
        return true;
    }

    /// <summary>True while wait <paramref name="generation"/> is armed and not completed.</summary>
    public bool IsWaiting(int generation) => Volatile.Read(ref _state) == generation;

    bool IBlockedWriter.Resume() => TrySet(true);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        bool result = _core.GetResult(token);
        _registration.Dispose();
        _registration = default;
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// A <see cref="Waiter"/> as queued for one wait. Setting the entry completes that wait only: once it is over (set by
/// another queue the same waiter was in, or cancelled) the entry does nothing, even when the waiter, back from its
/// pool, waits for something else. So one waiter can wait on several queues at once, and stale entries are harmless.
/// </summary>
internal readonly struct WaiterEntry(Waiter waiter, int generation)
{
    /// <summary>An entry for the wait <paramref name="waiter"/> is armed for now.</summary>
    public static WaiterEntry For(Waiter waiter) => new(waiter, waiter.Generation);

    /// <summary>True while the wait is still on (queues drop entries that are not).</summary>
    public bool IsWaiting => waiter.IsWaiting(generation);

    /// <summary>Completes the wait; false when it was over already.</summary>
    public bool TrySet(bool signalled) => waiter.TrySet(signalled, generation);

    /// <summary>
    /// Queues <paramref name="entry"/> on <paramref name="queue"/> (under the caller's lock), first dropping entries at
    /// its head whose waits are over: a waiter on several queues leaves an entry in each one it was not resumed by.
    /// </summary>
    /// <returns>How many entries were dropped.</returns>
    public static int Enqueue(Queue<WaiterEntry> queue, WaiterEntry entry)
    {
        int dropped = 0;
        while (queue.TryPeek(out var head) && !head.IsWaiting)
        {
            queue.Dequeue();
            dropped++;
        }

        queue.Enqueue(entry);
        return dropped;
    }
}
