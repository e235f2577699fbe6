using TorchSharp;

namespace Dendrite.Bench.Peer;

/// <summary>
/// The TorchSharp peer of the Dendrite bench harness: runs the chosen workloads in TorchSharp-cpu (libtorch) and prints
/// one JSON line per figure on stdout (progress goes to stderr). The harness starts it as a child process.
/// Usage: Peer.TorchSharp [w1] [w2] [w3] [infer] [w5] [w6] [w4] [--quick] [--data DIR] [--w2-epochs N] [--w3-epochs N]
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool quick = args.Contains("--quick");
        int dataAt = Array.IndexOf(args, "--data");
        string? data = dataAt >= 0 && dataAt + 1 < args.Length ? args[dataAt + 1] : null;
        int cnnEpochs = Epochs(args, "--w2-epochs", Protocol.CnnDefaultEpochs);
        int lstmEpochs = Epochs(args, "--w3-epochs", Protocol.LstmDefaultEpochs);
        var chosen = args.Where(a => Protocol.Workloads.Contains(a)).ToHashSet();
        if (chosen.Count == 0) chosen = [.. Protocol.Workloads];

        Info("torch", torch.__version__);
        Info("torchsharp", typeof(torch).Assembly.GetName().Version?.ToString() ?? "?");
        Info("default_threads", torch.get_num_threads().ToString());
        Info("glibc_tunables", Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "");
        Info("ld_library_path", Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "");
        // The harness's --isa avx2 caps, as this process saw them (libtorch, MKL and oneDNN read them when they load).
        Info("isa_caps", string.Join(" ", new[] { "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "DNNL_MAX_CPU_ISA" }
            .Where(k => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(k))).Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}")));

        // Same order as the harness: the training workloads before W4, so their peak RSS is their own.
        if (chosen.Contains("w1")) Emit("w1", Workloads.Mlp(Mnist.FindDirectory(data), quick));
        if (chosen.Contains("infer")) Emit("infer", Workloads.Inference(Mnist.FindDirectory(data), quick));
        if (chosen.Contains("w2")) Emit("w2", Workloads.Cnn(Mnist.FindDirectory(data), quick, cnnEpochs));
        if (chosen.Contains("w3")) Emit("w3", Workloads.Lstm(Mnist.FindDirectory(data), quick, lstmEpochs));
        if (chosen.Contains("w5")) Emit("w5", Workloads.CnnInference(Mnist.FindDirectory(data), quick));
        if (chosen.Contains("w6")) Emit("w6", Workloads.ResNetTraining(quick).Concat(Workloads.ResNetInference(quick)));
        if (chosen.Contains("w4")) Emit("w4", Workloads.Gemm(quick));
        return 0;
    }

    /// <summary>The value after <paramref name="option"/> (the harness has checked it), else <paramref name="fallback"/>.</summary>
    private static int Epochs(string[] args, string option, int fallback)
    {
        int at = Array.IndexOf(args, option);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static void Emit(string workload, IEnumerable<Figure> figures)
    {
        Console.Error.WriteLine($"peer: {workload} …");
        foreach (var f in figures)
        {
            Console.Out.WriteLine(f.ToJsonLine());
            Console.Out.Flush();
        }
    }

    private static void Info(string key, string value) => Console.Out.WriteLine(Figure.InfoJsonLine(key, value));
}
