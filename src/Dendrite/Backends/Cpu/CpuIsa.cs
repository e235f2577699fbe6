using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// The instruction sets the CPU kernels are written for: AVX-512, AVX2 with FMA (256-bit vectors), and portable code
/// (128-bit vectors or scalars). GEMM's micro-kernels, Winograd's transforms and the few-taps convolution each have a
/// path per set; <see cref="Isa"/> says which one a call takes.
/// </summary>
internal enum CpuIsa { Avx512, Avx2, Portable }

/// <summary>The instruction set the CPU kernels use: the widest the processor accelerates, or one a test forces.</summary>
internal static class Isa
{
    /// <summary>Chosen at start-up: what the runtime accelerates (in .NET 10, DOTNET_EnableAVX512=0 turns AVX-512 off).</summary>
    internal static readonly CpuIsa Best = Vector512.IsHardwareAccelerated ? CpuIsa.Avx512
        : Vector256.IsHardwareAccelerated ? CpuIsa.Avx2 : CpuIsa.Portable;

    [ThreadStatic] private static CpuIsa? t_forced;

    /// <summary>
    /// The set kernels started on this thread use: <see cref="Best"/>, unless a test forces another for its thread. A
    /// kernel reads it once, on the calling thread, and hands it to its workers. A forced set the hardware lacks still
    /// computes correctly: in software (GEMM), or by the widest set the hardware has (Winograd's transforms).
    /// </summary>
    internal static CpuIsa Current => t_forced ?? Best;

    /// <summary>Whether the processor runs <paramref name="isa"/>'s intrinsics in hardware.</summary>
    internal static bool InHardware(CpuIsa isa) => isa switch
    {
        CpuIsa.Avx512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        CpuIsa.Avx2 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>Forces <paramref name="isa"/> on this thread until the returned scope is disposed (tests).</summary>
    internal static IDisposable Force(CpuIsa isa)
    {
        var previous = t_forced;
        t_forced = isa;
        return new Restore(() => t_forced = previous);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
