using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite.Bench;

/// <summary>
/// The whole-workload bench harness of ../shared/bench/PROTOCOL.md: runs the chosen workloads in Dendrite in this
/// process, then in TorchSharp-cpu in a child process twice (as shipped, then with GLIBC_TUNABLES), and prints one
/// table per workload with the ratio Dendrite / TorchSharp. See bench/README.md.
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: dotnet run --project bench/Dendrite.Bench -c Release -- [w0] [w1] [w2] [w3] [infer] [w5] [w6] [w4] [options]
          workloads   any of w0 (FMA peak), w1 (MNIST MLP training), w2 (MNIST CNN training), w3 (sequential MNIST
                      LSTM training), infer (W1 net inference), w5 (W2 net inference), w6 (CIFAR-shaped ResNet
                      training and inference), w4 (GEMM); default all. w2, w5, w6 and w4 bring w0 along (their
                      % of peak). w2m: W2 with the net written as a custom Module (PyTorch's examples/mnist
                      style, the public fused op), Dendrite only, on request.
          --quick     shortened smoke run (W1, W2 and W3 on 6,000 images, W6 on 2,560, fewer samples): not protocol figures
          --w2-epochs N  W2's epochs, N >= 2 (default 2: epoch 2 is the protocol's time; 3 for its accuracy line)
          --w3-epochs N  W3's epochs, N >= 2 (default 2, as W2)
          --out DIR   also write DIR/results.csv and DIR/results.json
          --data DIR  MNIST directory (default: data/mnist above the working directory, or $DENDRITE_MNIST)
          --no-peer   Dendrite only (neither TorchSharp nor ONNX Runtime)
          --no-tuned  skip the GLIBC_TUNABLES run of the TorchSharp peer
          --no-torchsharp  skip the TorchSharp peer;  --no-ort  skip ONNX Runtime (infer, w5, w6)
          --isa avx2  Dendrite without AVX-512 (the harness re-runs itself with DOTNET_EnableAVX512F=0 and
                      DOTNET_EnableAVX512=0; W0 is then the FMA3 peak), TorchSharp capped with ATEN_CPU_CAPABILITY=avx2
                      MKL_ENABLE_INSTRUCTIONS=AVX2 DNNL_MAX_CPU_ISA=AVX2; ONNX Runtime has no run-time cap (see README)
          --peer DLL  the peer's Peer.TorchSharp.dll (default: the one built beside this harness)
        """;

    public static int Main(string[] args)
    {
        bool quick = false, noPeer = false, noTuned = false, noOrt = false, noTorchSharp = false;
        string? outDir = null, dataDir = null, peerDll = null, isa = null;
        int cnnEpochs = Protocol.CnnDefaultEpochs, lstmEpochs = Protocol.LstmDefaultEpochs;
        var chosen = new HashSet<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "--quick": quick = true; break;
                case "--no-peer": noPeer = true; break;
                case "--no-tuned": noTuned = true; break;
                case "--no-ort": noOrt = true; break;
                case "--no-torchsharp": noTorchSharp = true; break;
                case "--isa" when i + 1 < args.Length:
                    isa = args[++i];
                    if (isa != Isa.Avx2)
                    {
                        Console.Error.WriteLine($"bench: --isa takes '{Isa.Avx2}' (the only cap there is; without --isa each side uses the widest vectors it finds), got '{isa}'\n{Usage}");
                        return 2;
                    }
                    break;
                case "--out" or "--data" or "--peer" when i + 1 < args.Length:
                    string value = args[++i];
                    if (a == "--out") outDir = value;
                    else if (a == "--data") dataDir = value;
                    else peerDll = value;
                    break;
                case "--w2-epochs" or "--w3-epochs" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int epochs) || epochs < 2)
                    {
                        Console.Error.WriteLine($"bench: {a} takes a whole number >= 2 (epoch 2 is the protocol's figure), got '{args[i]}'\n{Usage}");
                        return 2;
                    }
                    if (a == "--w2-epochs") cnnEpochs = epochs;
                    else lstmEpochs = epochs;
                    break;
                case "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                case "w2m": chosen.Add(a); break; // W2 as a custom Module: Dendrite only, never part of "all"
                default:
                    if (Protocol.Workloads.Contains(a)) { chosen.Add(a); break; }
                    Console.Error.WriteLine($"bench: unknown argument '{a}'\n{Usage}");
                    return 2;
            }
        }
        if (isa is not null && Isa.NeedsRestart())
            return Isa.RunCapped(args); // the runtime reads its ISA switches at start: only a new process can drop AVX-512
        if (isa is not null && !Isa.IsCapped)
        {
            Console.Error.WriteLine("bench: --isa avx2: AVX-512 is still enabled after restarting with DOTNET_EnableAVX512F=0 DOTNET_EnableAVX512=0; refusing to report uncapped figures as capped.");
            return 2;
        }
        if (chosen.Count == 0) chosen = [.. Protocol.Workloads];
        if (chosen.Overlaps(["w2", "w5", "w6", "w4"])) chosen.Add("w0"); // their % of peak needs W0's peak
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GLIBC_TUNABLES")))
            Console.Error.WriteLine("bench: warning: GLIBC_TUNABLES is set for the harness itself, so Dendrite runs with it; the peer's as-shipped run does not.");

        var meta = Meta(quick);
        meta["ISA"] = Isa.Describe(isa, noPeer || noTorchSharp, noPeer || noOrt || !chosen.Overlaps(OnnxRuntimePeer.Workloads));
        foreach (var (k, v) in meta) Console.WriteLine($"{k}: {v}");

        var dendrite = new List<Figure>();
        void RunDendrite(string workload, Func<IEnumerable<Figure>> figures)
        {
            if (!chosen.Contains(workload)) return;
            Console.WriteLine($"[dendrite] {workload} …");
            foreach (var f in figures())
            {
                dendrite.Add(f);
                Console.WriteLine($"  [dendrite] {f.Label}: {f.FormatValue()} {f.Unit}");
            }
        }
        meta["load average at start (1/5/15 min)"] = ProcessMemory.LoadAverage();
        var others = new Dictionary<string, double>();
        var before = MachineLoad.Now();
        // The training workloads before W4, so their peak RSS is not W4's; W0 last: right after `dotnet run`'s build the
        // machine is still settling, and W0 is the most sensitive figure.
        RunDendrite("w1", () => DendriteWorkloads.Mlp(dataDir, quick));
        RunDendrite("infer", () => DendriteWorkloads.Inference(dataDir, quick));
        RunDendrite("w2", () => DendriteWorkloads.Cnn(dataDir, quick, cnnEpochs));
        RunDendrite("w2m", () => DendriteWorkloads.CnnModule(dataDir, quick, cnnEpochs));
        RunDendrite("w3", () => DendriteWorkloads.Lstm(dataDir, quick, lstmEpochs));
        RunDendrite("w5", () => DendriteWorkloads.CnnInference(dataDir, quick));
        RunDendrite("w6", () => DendriteWorkloads.ResNetTraining(quick).Concat(DendriteWorkloads.ResNetInference(quick)));
        RunDendrite("w4", () => DendriteWorkloads.Gemm(quick));
        RunDendrite("w0", () => DendriteWorkloads.FmaPeaks(quick));
        others["Dendrite"] = MachineLoad.Now().OthersShareSince(before);

        // ONNX Runtime after every Dendrite workload, W0 included: its native thread pool stays alive in this process.
        var onnx = new List<Figure>();
        var ortWorkloads = OnnxRuntimePeer.Workloads.Where(chosen.Contains).ToList();
        if (!noPeer && !noOrt && ortWorkloads.Count > 0)
        {
            meta["onnxruntime"] = $"{OnnxRuntimePeer.Version} (CPU execution provider, {Protocol.Threads(Protocol.AllCores)} intra-op, graph optimisation ORT_ENABLE_ALL)";
            Console.WriteLine("[onnxruntime] …");
            before = MachineLoad.Now();
            foreach (var workload in ortWorkloads)
            {
                var figures = workload switch
                {
                    "infer" => OnnxRuntimePeer.Inference(dataDir, quick),
                    "w5" => OnnxRuntimePeer.CnnInference(dataDir, quick),
                    _ => OnnxRuntimePeer.ResNetInference(quick),
                };
                foreach (var f in figures)
                {
                    onnx.Add(f);
                    Console.WriteLine($"  [onnxruntime] {f.Workload} {f.Label}: {f.FormatValue()} {f.Unit}");
                }
            }
            others["ONNX Runtime"] = MachineLoad.Now().OthersShareSince(before);
        }

        PeerRun? plain = null, tuned = null;
        var peerWorkloads = chosen.Where(w => w is not ("w0" or "w2m")).ToList();
        if (!noPeer && !noTorchSharp && peerWorkloads.Count > 0)
        {
            peerDll ??= FindPeer();
            if (peerDll is null || !File.Exists(peerDll))
            {
                Console.Error.WriteLine("bench: Peer.TorchSharp.dll not found; build bench/Peer.TorchSharp (building this harness does) or pass --peer.");
                return 3;
            }
            string? nativeLib = FindNativeLib();
            meta["peer"] = peerDll;
            meta["peer LD_LIBRARY_PATH"] = nativeLib ?? "(not needed: the system's libstdc++ is new enough)";
            var peerArgs = peerWorkloads.Concat(quick ? ["--quick"] : []).Concat(dataDir is null ? [] : ["--data", dataDir])
                .Concat(["--w2-epochs", cnnEpochs.ToString(CultureInfo.InvariantCulture), "--w3-epochs", lstmEpochs.ToString(CultureInfo.InvariantCulture)])
                .ToList();
            Console.WriteLine("[torchsharp] as shipped …");
            before = MachineLoad.Now();
            plain = PeerRunner.Run("torchsharp", peerDll, nativeLib, tuned: false, isa, peerArgs, Console.Out);
            others["TorchSharp"] = MachineLoad.Now().OthersShareSince(before);
            if (!noTuned)
            {
                Console.WriteLine("[torchsharp tuned] GLIBC_TUNABLES …");
                before = MachineLoad.Now();
                tuned = PeerRunner.Run("torchsharp tuned", peerDll, nativeLib, tuned: true, isa, peerArgs, Console.Out);
                others["TorchSharp tuned"] = MachineLoad.Now().OthersShareSince(before);
            }
            foreach (var (k, v) in plain.Info) meta[$"peer {k}"] = v;
        }

        meta["other processes' share of the CPUs"] = string.Join(", ",
            others.Select(kv => $"{kv.Value * 100:0}% while {kv.Key} ran"));
        if (others.Values.Any(v => v > 0.05))
            meta["warning"] = "other processes used more than 5% of the CPUs during a phase of this run: its medians carry " +
                "their noise (libtorch's OpenMP threads and the multi-threaded rows suffer most); rerun on a quiet machine";
        var report = new Report(dendrite, plain, tuned, onnx, meta, quick);
        report.Print(Console.Out);
        if (outDir is not null)
        {
            report.Write(outDir);
            Console.WriteLine($"\nWrote {Path.Combine(outDir, "results.csv")} and {Path.Combine(outDir, "results.json")}");
        }
        return plain is { Ok: false } || tuned is { Ok: false } ? 3 : 0;
    }

    private static Dictionary<string, string> Meta(bool quick) => new()
    {
        ["date (UTC)"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        ["machine"] = $"{CpuModel()}, {Environment.ProcessorCount} logical processors, {RuntimeInformation.OSDescription}",
        ["runtime"] = $"{RuntimeInformation.FrameworkDescription}, Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}, W0 uses {FmaPeak.Isa}",
        ["dendrite"] = typeof(Tensor).Assembly.GetName().Version?.ToString() ?? "?",
        ["mode"] = quick ? "quick" : "full",
    };

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>bench/ of the repository: the first folder above this program holding Peer.TorchSharp.</summary>
    private static string? BenchDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Peer.TorchSharp", "Peer.TorchSharp.csproj"))) return dir.FullName;
        return null;
    }

    private static string? FindPeer()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        string? bench = BenchDirectory();
        if (bench is null) return null;
        var bin = new DirectoryInfo(Path.Combine(bench, "Peer.TorchSharp", "bin", configuration));
        if (!bin.Exists) return null;
        return bin.EnumerateFiles("Peer.TorchSharp.dll", SearchOption.AllDirectories).OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()?.FullName;
    }

    /// <summary>bench/.native/lib when prepare-libstdcxx.sh built a libstdc++ there, else null.</summary>
    private static string? FindNativeLib()
    {
        string? bench = BenchDirectory();
        if (bench is null) return null;
        string lib = Path.Combine(bench, ".native", "lib");
        return File.Exists(Path.Combine(lib, "libstdc++.so.6")) ? lib : null;
    }
}
