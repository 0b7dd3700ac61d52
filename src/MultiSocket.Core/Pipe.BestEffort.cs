namespace MultiSocket;

internal sealed partial class Pipe
{
    // In-process pipes: after a best-effort send finds the peer's queue full, the next few drop without trying it: a
    // publisher outrunning its subscribers otherwise takes the link's lock for every drop, contending with the
    // consumer that is draining it. (A byte-stream pipe's send queue marks itself full instead, see SendQueue.MarkFull.)
    private const int BestEffortSkips = 16;

    // Approximate under concurrent senders; it only decides how often a full queue is tried.
    private int _bestEffortSkips;

    /// <summary>True when a best-effort send should drop for this pipe without trying its queue.</summary>
    public bool SkipBestEffort()
    {
        if (_queue is not null)
        {
            return _queue.IsMarkedFull;
        }

        if (_bestEffortSkips <= 0)
        {
            return false;
        }

        _bestEffortSkips--;
        return true;
    }

    /// <summary>A best-effort send found the queue full.</summary>
    public void OnBestEffortFull()
    {
        if (_queue is not null)
        {
            _queue.MarkFull();
        }
        else
        {
            _bestEffortSkips = BestEffortSkips;
        }
    }
}
