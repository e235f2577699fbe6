using System.Diagnostics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Bench;

/// <summary>
/// --isa avx2: the protocol's AVX2 variant. .NET reads its instruction-set switches once, when the runtime starts, so
/// the harness runs itself again in a child process with AVX-512 switched off (<see cref="DendriteEnvironment"/>) and
/// passes its exit code on; the TorchSharp peer gets libtorch's, MKL's and oneDNN's caps (<see cref="PeerEnvironment"/>).
/// ONNX Runtime has no run-time cap: MLAS picks its kernels from CPUID, and limiting it takes a build of its own.
/// </summary>
internal static class Isa
{
    public const string Avx2 = "avx2";

    /// <summary>The runtime switches that turn off AVX-512 (and so Vector512 acceleration) in the Dendrite process.</summary>
    public static readonly IReadOnlyDictionary<string, string> DendriteEnvironment = new Dictionary<string, string>
    {
        ["DOTNET_EnableAVX512F"] = "0",
        ["DOTNET_EnableAVX512"] = "0",
    };

    /// <summary>libtorch's dispatch cap, MKL's and oneDNN's: the peer's kernels stop at AVX2.</summary>
    public static readonly IReadOnlyDictionary<string, string> PeerEnvironment = new Dictionary<string, string>
    {
        ["ATEN_CPU_CAPABILITY"] = "avx2",
        ["MKL_ENABLE_INSTRUCTIONS"] = "AVX2",
        ["DNNL_MAX_CPU_ISA"] = "AVX2",
    };

    /// <summary>Whether this process runs with AVX-512 off (Vector512 code then falls back to Vector256 + FMA3).</summary>
    public static bool IsCapped => !Avx512F.IsSupported;

    /// <summary>
    /// True in the first process of an --isa avx2 run on a machine with AVX-512: the switches are not set yet. The child
    /// has them set, so it never restarts again (and refuses to run if they did not take, see Program).
    /// </summary>
    public static bool NeedsRestart() => !IsCapped && DendriteEnvironment.Any(kv => Environment.GetEnvironmentVariable(kv.Key) != kv.Value);

    /// <summary>Runs this harness again with the same arguments and <see cref="DendriteEnvironment"/>, sharing the console.</summary>
    public static int RunCapped(string[] args)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("bench: --isa: cannot find this process's executable to run it again.");
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        // Under `dotnet Dendrite.Bench.dll` (and `dotnet run`) the executable is the host: hand it the assembly first.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(Isa).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in DendriteEnvironment) start.Environment[key] = value;
        Console.WriteLine($"bench: --isa avx2: running the harness again with {string.Join(" ", DendriteEnvironment.Select(kv => $"{kv.Key}={kv.Value}"))}");
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"bench: --isa: could not start {self}.");
        child.WaitForExit();
        return child.ExitCode;
    }

    /// <summary>The header line that says which instruction set each side ran with.</summary>
    public static string Describe(string? isa, bool noTorchSharp, bool noOrt)
    {
        bool switchedOff = DendriteEnvironment.All(kv => Environment.GetEnvironmentVariable(kv.Key) == kv.Value);
        string dendrite = !IsCapped ? "Dendrite AVX-512"
            : switchedOff ? $"Dendrite AVX2/FMA3 on Vector256 (AVX-512 off: {string.Join(" ", DendriteEnvironment.Select(kv => $"{kv.Key}={kv.Value}"))})"
            : "Dendrite AVX2/FMA3 on Vector256 (no AVX-512 in this process)";
        string torch = noTorchSharp ? "" : isa is null
            ? "; TorchSharp as libtorch dispatches (its widest)"
            : "; TorchSharp capped to AVX2 (" + string.Join(" ", PeerEnvironment.Select(kv => $"{kv.Key}={kv.Value}")) + ")";
        string ort = noOrt ? "" : isa is null ? "; ONNX Runtime as MLAS dispatches (its widest)" : "; ONNX Runtime NOT capped (no run-time switch; MLAS dispatches on CPUID)";
        return dendrite + torch + ort;
    }
}
