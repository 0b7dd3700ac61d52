using System.Diagnostics.CodeAnalysis;

namespace MultiSocket;

/// <summary>Throw helpers: keep hot methods small enough to inline.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void IndexOutOfRange(int index, int count) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in [0, {count}).");

    [DoesNotReturn]
    public static void Disposed(object owner) => throw new ObjectDisposedException(owner.GetType().FullName, "The socket has been disposed.");

    [DoesNotReturn]
    public static void NoSend() => throw new InvalidOperationException("This socket was created with NoSend: it cannot send.");

    [DoesNotReturn]
    public static void NoReceive() => throw new InvalidOperationException("This socket was created with NoReceive: it cannot receive.");

    [DoesNotReturn]
    public static T Disposed<T>(object owner) => throw new ObjectDisposedException(owner.GetType().FullName, "The socket has been disposed.");
}
