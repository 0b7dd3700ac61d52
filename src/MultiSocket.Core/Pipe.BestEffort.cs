namespace MultiSocket;

internal sealed partial class Pipe
{
    // After a best-effort send finds this pipe's queue full, the next few drop without trying the queue: a publisher
    // outrunning its subscribers otherwise takes the queue's lock for every drop, contending with the write loop that
    // is draining it (which drains a whole queue per wake-up, so a few skipped tries lose nothing it could take).
    private const int BestEffortSkips = 16;

    // Approximate under concurrent senders; it only decides how often a full queue is tried.
    private int _bestEffortSkips;

    /// <summary>
    /// A best-effort send to one of several pipes: queues the message if there is room, else drops it for this pipe
    /// (false; the caller keeps its reference). After a full queue the next few drop without trying it.
    /// <paramref name="marked"/> is as for <see cref="TryEnqueue(Message, ref bool)"/>.
    /// </summary>
    public bool TryEnqueueBestEffort(Message message, ref bool marked)
    {
        if (SkipBestEffort())
        {
            return false;
        }

        if (TryEnqueue(message, ref marked))
        {
            return true;
        }

        _bestEffortSkips = BestEffortSkips;
        return false;
    }

    private bool SkipBestEffort()
    {
        if (_bestEffortSkips <= 0)
        {
            return false;
        }

        _bestEffortSkips--;
        return true;
    }
}
