using System.Diagnostics;

namespace MultiSocket.Testing;

/// <summary>Bounded waiting: poll a condition, or await a task, with a generous timeout.</summary>
public static class Wait
{
    /// <summary>Default bound for anything a test waits on.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeout;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing the test after <paramref name="timeout"/>.</summary>
    public static async Task<T> ForAsync<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeout;
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
        {
            Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
        }

        return await task;
    }

    /// <summary>Awaits <paramref name="task"/>, failing the test after <paramref name="timeout"/>.</summary>
    public static async Task ForAsync(Task task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeout;
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
        {
            Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
        }

        await task;
    }

    /// <summary>A token cancelled after <paramref name="timeout"/> (the default bound) so no test hangs.</summary>
    public static CancellationToken Token(TimeSpan? timeout = null) => new CancellationTokenSource(timeout ?? Timeout).Token;
}
