using System.Diagnostics;
using System.Threading.Tasks.Sources;
using MultiSocket.Internal;

namespace MultiSocket.Protocols;

/// <summary>
/// One request waiting for its reply, pooled: the wait, its time limit (a reusable token source with CancelAfter),
/// the caller's cancellation and the resend timer are set up again for each request instead of allocated (a task
/// completion source, a linked token source with its timer and a WaitAsync promise cost ~1 KB per request).
/// </summary>
/// <remarks>
/// The request loop waits with <see cref="WaitAsync"/>: true once a reply arrived or the limit fired (timeout,
/// cancellation, disposal: the caller tells which), false for a resend tick. Only <see cref="RequestSocket"/> holds a
/// pending request between <see cref="Start"/> and <see cref="Finish"/>; it removes it from its table, under the
/// table's lock, before finishing, so no reply reaches a request that went back to the pool.
/// </remarks>
internal sealed class PendingRequest : IValueTaskSource<bool>
{
    private static readonly ObjectPool<PendingRequest> Pool = new(() => new PendingRequest(), 256);

    // _resendDue while no resend is armed: a late tick from an earlier wait (or an earlier request of another socket,
    // the pool being shared) then does nothing.
    private const long NoResend = long.MaxValue;

    private readonly object _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenSource _limit = new();
    private CancellationTokenRegistration _caller;
    private CancellationTokenRegistration _limitFired;
    private Timer? _resendTimer;
    private long _resendDue = NoResend;
    private Message? _reply;
    private bool _waiting;
    private bool _finished;
    private bool _disposed;

    private PendingRequest()
    {
    }

    /// <summary>Cancelled when the request is over: timeout, the caller's cancellation, or disposal.</summary>
    public CancellationToken Limit => _limit.Token;

    /// <summary>True when <see cref="Abort"/> ended the wait (the socket was disposed).</summary>
    public bool SocketDisposed => Volatile.Read(ref _disposed);

    /// <summary>A pending request with <paramref name="timeout"/> running, cancelled with <paramref name="cancellationToken"/>.</summary>
    public static PendingRequest Start(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = Pool.Rent();
        pending.Arm(timeout, cancellationToken);
        return pending;
    }

    /// <summary>Waits for the reply or the limit (true), or until <paramref name="resend"/> has passed (false).</summary>
    public ValueTask<bool> WaitAsync(TimeSpan? resend)
    {
        lock (_gate)
        {
            _core.Reset();
            if (_reply is not null || _disposed || _limit.IsCancellationRequested)
            {
                return new ValueTask<bool>(true);
            }

            _waiting = true;
            _resendDue = NoResend;
            if (resend is { } interval)
            {
                _resendDue = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency);
                _resendTimer ??= new Timer(static state => ((PendingRequest)state!).OnResendDue(), this, Timeout.Infinite, Timeout.Infinite);
                _resendTimer.Change(interval, Timeout.InfiniteTimeSpan);
            }
        }

        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>The reply, if one arrived; the request then owns it, and later replies are refused.</summary>
    public Message? TakeReply()
    {
        lock (_gate)
        {
            var reply = _reply;
            _reply = null;
            _finished |= reply is not null;
            return reply;
        }
    }

    /// <summary>Hands the reply over; false when one already arrived or the request is over (the caller keeps it).</summary>
    public bool TrySetReply(Message reply)
    {
        lock (_gate)
        {
            if (_finished || _reply is not null)
            {
                return false;
            }

            _reply = reply;
            SignalLocked(true);
            return true;
        }
    }

    /// <summary>The socket is disposed: ends the wait.</summary>
    public void Abort()
    {
        lock (_gate)
        {
            _disposed = true;
            SignalLocked(true);
        }
    }

    /// <summary>
    /// Ends the request and returns this object to the pool; the caller must have removed it from the table first.
    /// A reply that raced with the end is disposed.
    /// </summary>
    public void Finish()
    {
        Message? late;
        lock (_gate)
        {
            _finished = true;
            late = _reply;
            _reply = null;
            _resendTimer?.Change(Timeout.Infinite, Timeout.Infinite);
        }

        late?.Dispose();

        // Outside the lock: disposing a registration waits for its callback, which takes the lock.
        _caller.Dispose();
        _limitFired.Dispose();
        Pool.Return(this);
    }

    private void Arm(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_limit.TryReset())
        {
            // It fired last time (timeout or cancellation): a cancelled source cannot be reused.
            _limit.Dispose();
            _limit = new CancellationTokenSource();
        }

        _finished = false;
        _disposed = false;
        _waiting = false;
        _resendDue = NoResend;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            _limit.CancelAfter(timeout);
        }

        _limitFired = _limit.Token.UnsafeRegister(static state => ((PendingRequest)state!).OnLimit(), this);
        _caller = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _limit);
    }

    private void OnLimit()
    {
        lock (_gate)
        {
            SignalLocked(true);
        }
    }

    private void OnResendDue()
    {
        lock (_gate)
        {
            if (!_waiting || _resendDue == NoResend)
            {
                return;
            }

            // The timer's clock is coarser than the stopwatch and may fire a little early, and a timer that fired late
            // for an earlier wait finds the due time moved on: either way, wait out what is left.
            long left = _resendDue - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                SignalLocked(false);
            }
            else
            {
                _resendTimer!.Change(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency) + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void SignalLocked(bool done)
    {
        if (_waiting)
        {
            _waiting = false;
            _resendDue = NoResend;
            _core.SetResult(done);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
