using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace MultiSocket.Internal;

/// <summary>
/// Software prefetch: asks the CPU to start loading an object's first cache lines so that a later access finds them
/// close. A hint only: it never faults, never changes the object, and costs a cycle or two when the lines are
/// already here; where the CPU has no prefetch instruction the runtime exposes (not x86), it does nothing.
/// </summary>
/// <remarks>
/// The one place this pays is a pooled object that another core touched last (a message a consumer disposed on its
/// core, then rented again by the sender on this one): its lines are in the other core's cache, and each first touch
/// waits for a transfer that costs 45–200 ns on the machines measured (docs/performance.md, round 9). Reading an
/// object's address from its reference is all the unsafe code does; if the GC moves the object meanwhile, the hint
/// lands on a stale address, which is harmless.
/// </remarks>
internal static class Prefetch
{
    /// <summary>Starts loading the first two cache lines of <paramref name="target"/> (null: nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Object(object? target)
    {
        if (Sse.IsSupported && target is not null)
        {
            byte* address = *(byte**)Unsafe.AsPointer(ref target);
            Sse.Prefetch0(address);
            Sse.Prefetch0(address + 64);
        }
    }
}
