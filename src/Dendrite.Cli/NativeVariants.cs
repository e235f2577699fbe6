using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Dendrite.Backends.Cpu;

namespace Dendrite.Cli;

/// <summary>
/// A NativeAOT binary runs the kernels of the instruction set it was compiled for, never wider ones (docs/native.md),
/// so an x64 publish writes three: <c>Dendrite.Cli</c> for x86-64-v2 (portable kernels; it starts on any x64 processor
/// of the last fifteen years), and beside it <c>Dendrite.Cli.avx2</c> (x86-64-v3) and <c>Dendrite.Cli.avx512</c>
/// (x86-64-v4). At start-up the first replaces itself (execv: same process, arguments, environment and terminal) with
/// the widest sibling the processor runs. Under the JIT, and in a sibling, this does nothing.
/// </summary>
internal static class NativeVariants
{
    /// <summary>Set to 0 to keep the binary that was started (tests/aot/check.sh compares the kernels one by one).</summary>
    public const string Switch = "DENDRITE_NATIVE_VARIANTS";

    public static void ExecWidest(string[] args)
    {
        if (RuntimeFeature.IsDynamicCodeSupported || Environment.GetEnvironmentVariable(Switch) == "0") return;
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) || !X86Base.IsSupported) return;
        if (Environment.ProcessPath is not { } self || Path.GetExtension(self) is ".avx2" or ".avx512") return;
        string? widest = Widest();
        if (widest is null || widest == CpuBackend.KernelInstructionSet) return;
        foreach (string variant in widest == "avx512" ? new[] { "avx512", "avx2" } : ["avx2"])
        {
            string path = $"{self}.{variant}";
            if (File.Exists(path)) Exec(path, args); // returns only if the kernel refused it: then try the next
        }
    }

    /// <summary>
    /// "avx512" when the processor has x86-64-v4's AVX-512 subsets (F, BW, CD, DQ, VL), "avx2" when it has x86-64-v3
    /// (AVX2, FMA, BMI1/2, LZCNT, MOVBE, F16C), else null; each also needs the OS to save the wide registers (OSXSAVE).
    /// </summary>
    private static string? Widest()
    {
        var (_, _, ecx1, _) = X86Base.CpuId(1, 0);
        var (_, ebx7, _, _) = X86Base.CpuId(7, 0);
        var (_, _, ecxExt, _) = X86Base.CpuId(unchecked((int)0x80000001), 0);
        static bool Bit(int register, int bit) => (register & (1 << bit)) != 0;
        bool v3 = Bit(ecx1, 27) && Bit(ecx1, 28) && Bit(ecx1, 12) && Bit(ecx1, 22) && Bit(ecx1, 29) // OSXSAVE AVX FMA MOVBE F16C
            && Bit(ebx7, 5) && Bit(ebx7, 3) && Bit(ebx7, 8) && Bit(ecxExt, 5);                     // AVX2 BMI1 BMI2 LZCNT
        bool v4 = v3 && Bit(ebx7, 16) && Bit(ebx7, 17) && Bit(ebx7, 28) && Bit(ebx7, 30) && Bit(ebx7, 31); // F DQ CD BW VL
        return v4 ? "avx512" : v3 ? "avx2" : null;
    }

    private static unsafe void Exec(string path, string[] args)
    {
        // argv[0] is the sibling's own path, so it finds the data it carries beside itself as the first would.
        var argv = new nint[args.Length + 2];
        argv[0] = Marshal.StringToCoTaskMemUTF8(path);
        for (int i = 0; i < args.Length; i++) argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
        fixed (nint* pointers = argv) execv((byte*)argv[0], pointers);
        foreach (nint p in argv) Marshal.FreeCoTaskMem(p);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int execv(byte* path, nint* argv);
}
