using System.Threading.Tasks.Sources;

namespace MultiSocket.Internal;

/// <summary>
/// A reusable one-shot wait: armed with a token, completed once by <see cref="TrySet"/> (true: signalled) or by the
/// token (false: cancelled). Waiting through one costs no allocation, unlike a channel wait with a cancellable
/// token; the token registration itself is pooled by the runtime.
/// </summary>
internal sealed class Waiter : IValueTaskSource<bool>, IBlockedWriter
{
    private static readonly ObjectPool<Waiter> Pool = new(() => new Waiter(), 256);

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private int _done;

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

    /// <summary>Starts a wait; complete it with <see cref="TrySet"/>.</summary>
    public void Arm(CancellationToken cancellationToken)
    {
        _core.Reset();
        Volatile.Write(ref _done, 0);
        _registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static waiter => ((Waiter)waiter!).TrySet(false), this)
            : default;
    }

    /// <summary>The wait armed last: true when signalled, false when cancelled.</summary>
    public ValueTask<bool> WaitAsync() => new(this, _core.Version);

    /// <summary>Completes the wait; false when it was already completed (signalled or cancelled).</summary>
    public bool TrySet(bool signalled)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return false;
        }

        _core.SetResult(signalled);
        return true;
    }

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
