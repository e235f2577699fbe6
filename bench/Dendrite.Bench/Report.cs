using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dendrite.Bench;

/// <summary>
/// One line of a workload's table: a figure in Dendrite, in the TorchSharp peer as shipped and tuned, in ONNX Runtime
/// (inference rows only), and the ratios.
/// </summary>
internal sealed record Row(string Workload, string Id, string Label, string Unit, bool HigherIsBetter,
    double Dendrite, double TorchSharp, double TorchSharpTuned, double OnnxRuntime)
{
    /// <summary>Dendrite / TorchSharp (as shipped) of the figure as printed: below 1 is better for times, above 1 for rates.</summary>
    public double Ratio => Divide(Dendrite, TorchSharp);

    /// <summary>Dendrite / ONNX Runtime, read the same way.</summary>
    public double RatioOnnx => Divide(Dendrite, OnnxRuntime);

    private static double Divide(double a, double b) => double.IsFinite(a) && double.IsFinite(b) && b != 0 ? a / b : double.NaN;
}

/// <summary>Turns the figures of the three runs into one table per workload, the CSV/JSON files, and the issue-3, -4 and -5 checks.</summary>
internal sealed class Report(IReadOnlyList<Figure> dendrite, PeerRun? plain, PeerRun? tuned, IReadOnlyList<Figure> onnx,
    IReadOnlyDictionary<string, string> meta, bool quick)
{
    private static readonly Dictionary<string, string> s_titles = new()
    {
        ["w0"] = "W0 FMA peak (Dendrite side only; the best sample is the base of W4's % of peak)",
        ["w1"] = $"W1 MNIST MLP 784-512-512-10, Adam lr 1e-3, batch {Protocol.MlpBatch}, {Protocol.Threads(Protocol.AllCores)}",
        ["w2"] = $"W2 MNIST CNN (PyTorch's examples/mnist net), Adam lr 1e-3, batch {Protocol.CnnBatch}, {Protocol.Threads(Protocol.AllCores)}; " +
            $"{Protocol.CnnTrainFlopsPerImage / 1e6:0.00} MFLOP an image, {Protocol.CnnTrainFlopsPerImage * 60000 / 1e12:0.000} TFLOP a 60,000-image epoch",
        ["w3"] = $"W3 sequential MNIST ({Protocol.LstmSteps} steps of {Protocol.LstmSteps} pixels, row by row), LSTM({Protocol.LstmSteps},{Protocol.LstmHidden}) " +
            $"last hidden state -> Linear({Protocol.LstmHidden},10), Adam lr 1e-3, batch {Protocol.LstmBatch}, {Protocol.Threads(Protocol.AllCores)}",
        ["infer"] = "Inference with the W1 net (eval, no grad)",
        ["w5"] = $"W5 inference with the W2 net (eval, no grad; {Protocol.CnnForwardFlopsPerImage / 1e6:0.00} MFLOP an image)",
        ["w6"] = $"W6 CIFAR-shaped ResNet (5 basic blocks, 32-64-128 channels) on generated 3x32x32 images, SGD momentum 0.9 lr 0.05, " +
            $"batch {Protocol.ResNetBatch}, {Protocol.Threads(Protocol.AllCores)}; {Protocol.ResNetForwardFlopsPerImage / 1e6:0.0} MFLOP an image forward, " +
            $"{Protocol.ResNetTrainFlopsPerImage / 1e6:0.0} training, {Protocol.ResNetTrainFlopsPerImage * Protocol.ResNetTrainImages(false) / 1e12:0.00} TFLOP a 50,000-image epoch",
        ["w4"] = $"W4 GEMM C = A·B, float32 n×n (median of {Protocol.GemmSamples(false)}+ samples; --quick: 3)",
    };

    public IReadOnlyList<Row> Rows { get; } = BuildRows(dendrite, plain, tuned, onnx);

    private static List<Row> BuildRows(IReadOnlyList<Figure> dendrite, PeerRun? plain, PeerRun? tuned, IReadOnlyList<Figure> onnx)
    {
        // The best W0 sample, not the median: load from other work only lowers it, and a low base would flatter W4.
        var peaks = dendrite.Where(f => f.Id.StartsWith("w0.peak_best.t", StringComparison.Ordinal))
            .ToDictionary(f => int.Parse(f.Id["w0.peak_best.t".Length..], CultureInfo.InvariantCulture), f => f.Value);
        var d = WithPeakPercent(dendrite, peaks);
        var p = WithPeakPercent(plain?.Figures ?? [], peaks);
        var t = WithPeakPercent(tuned?.Figures ?? [], peaks);
        var o = WithPeakPercent(onnx, peaks);
        var order = d.Concat(p).Concat(t).Concat(o).DistinctBy(f => f.Id).ToList();
        var rows = new List<Row>();
        foreach (var workload in Protocol.Workloads)
            foreach (var f in order.Where(f => f.Workload == workload))
                rows.Add(new Row(f.Workload, f.Id, f.Label, f.Unit, f.HigherIsBetter, Value(d, f.Id), Value(p, f.Id), Value(t, f.Id), Value(o, f.Id)));
        return rows;
    }

    private static double Value(IEnumerable<Figure> figures, string id) => figures.FirstOrDefault(f => f.Id == id)?.Value ?? double.NaN;

    /// <summary>
    /// After each GFLOP/s figure (W4's, W2's epoch 2, W5's batch 256), the same as a percentage of W0's best sample at
    /// its thread count: the "tN" part of a W4 id, all cores for the others.
    /// </summary>
    private static List<Figure> WithPeakPercent(IReadOnlyList<Figure> figures, Dictionary<int, double> peaks)
    {
        var result = new List<Figure>();
        foreach (var f in figures)
        {
            result.Add(f);
            if (!f.Id.EndsWith(".gflops", StringComparison.Ordinal)) continue;
            string? threadPart = f.Id.Split('.').FirstOrDefault(p => p.Length > 1 && p[0] == 't' && p[1..].All(char.IsAsciiDigit));
            int threads = threadPart is null ? Protocol.AllCores : int.Parse(threadPart[1..], CultureInfo.InvariantCulture);
            string label = f.Label + (threadPart is null ? $", % of W0 peak ({Protocol.Threads(threads)})" : ", % of W0 peak");
            if (peaks.TryGetValue(threads, out double peak))
                result.Add(f with { Id = f.Id.Replace(".gflops", ".peak_pct"), Label = label, Unit = "%", Value = 100 * f.Value / peak });
        }
        return result;
    }

    public void Print(TextWriter o)
    {
        o.WriteLine();
        if (quick) o.WriteLine("QUICK RUN: shortened workloads (W1, W2 and W3 on 6,000 training images, W6 on 2,560, fewer samples); not protocol figures.");
        foreach (var (k, v) in meta) o.WriteLine($"{k}: {v}");
        if (plain is { Ok: false }) o.WriteLine($"TorchSharp (as shipped) failed: {plain.Error}");
        if (tuned is { Ok: false }) o.WriteLine($"TorchSharp (tuned) failed: {tuned.Error}");
        foreach (var workload in Protocol.Workloads)
        {
            var rows = Rows.Where(r => r.Workload == workload).ToList();
            if (rows.Count == 0) continue;
            o.WriteLine();
            o.WriteLine(s_titles[workload]);
            PrintTable(o, rows);
        }
        o.WriteLine();
        o.WriteLine("D/T = Dendrite / TorchSharp as shipped, of the figure as printed ('better' says which way is good).");
        if (Rows.Any(r => double.IsFinite(r.OnnxRuntime)))
            o.WriteLine("D/O = Dendrite / ONNX Runtime (CPU, the ONNX file Dendrite exports of the same net), read the same way.");
        o.WriteLine($"TorchSharp tuned = the same peer run with GLIBC_TUNABLES={PeerRunner.Tunables}");
        PrintAcceptance(o);
    }

    /// <summary>One table; the ONNX Runtime and D/O columns only where the workload has ONNX Runtime figures.</summary>
    private static void PrintTable(TextWriter o, List<Row> rows)
    {
        bool withOnnx = rows.Any(r => double.IsFinite(r.OnnxRuntime));
        static string Ratio(double v) => double.IsNaN(v) ? "-" : v.ToString("0.000", CultureInfo.InvariantCulture);
        string[] header = withOnnx
            ? ["figure", "unit", "Dendrite", "TorchSharp", "TorchSharp tuned", "ONNX Runtime", "D/T", "D/O", "better"]
            : ["figure", "unit", "Dendrite", "TorchSharp", "TorchSharp tuned", "D/T", "better"];
        var cells = rows.Select(r => withOnnx
            ? new[]
            {
                r.Label, r.Unit, Figure.Format(r.Dendrite), Figure.Format(r.TorchSharp), Figure.Format(r.TorchSharpTuned), Figure.Format(r.OnnxRuntime),
                Ratio(r.Ratio), Ratio(r.RatioOnnx), r.HigherIsBetter ? "higher" : "lower",
            }
            : new[]
            {
                r.Label, r.Unit, Figure.Format(r.Dendrite), Figure.Format(r.TorchSharp), Figure.Format(r.TorchSharpTuned),
                Ratio(r.Ratio), r.HigherIsBetter ? "higher" : "lower",
            }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        string Line(string[] c) => "  " + string.Join("  ", c.Select((s, i) => i < 2 ? s.PadRight(widths[i]) : s.PadLeft(widths[i])));
        o.WriteLine(Line(header));
        o.WriteLine("  " + string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var c in cells) o.WriteLine(Line(c));
    }

    private double Get(string id, Func<Row, double> pick) => Rows.FirstOrDefault(r => r.Id == id) is { } r ? pick(r) : double.NaN;

    /// <summary>
    /// Issue 3's, 4's and 5's acceptance lists, evaluated on this run's medians against the as-shipped peer. A check of
    /// a workload this run did not choose is left out; one whose figure is missing from a chosen workload (a failed
    /// peer, a W0 without the thread count) says n/a.
    /// </summary>
    private void PrintAcceptance(TextWriter o)
    {
        var ran = Rows.Select(r => r.Workload).ToHashSet();
        List<(string Name, double Value, string Target, bool? Pass)> issue3 = [], issue4 = [], issue5 = [];
        void Check(List<(string, double, string, bool?)> list, string workload, string name, double value, string target, Func<double, bool> ok)
        {
            if (ran.Contains(workload)) list.Add((name, value, target, double.IsFinite(value) ? ok(value) : null));
        }

        int all = Protocol.AllCores;
        Check(issue3, "w4", "W4 n=1024 1 thread, % of W0 peak", Get("w4.t1.n1024.peak_pct", r => r.Dendrite), ">= 85", v => v >= 85);
        if (all > 1) Check(issue3, "w4", $"W4 n=1024 {all} threads, % of W0 peak", Get($"w4.t{all}.n1024.peak_pct", r => r.Dendrite), ">= 80", v => v >= 80);
        foreach (int t in Protocol.GemmThreads)
            foreach (int n in Protocol.GemmSizes.Where(n => n >= 256))
                Check(issue3, "w4", $"W4 n={n} {Protocol.Threads(t)}, time D/T", Get($"w4.t{t}.n{n}.ms", r => r.Ratio), "<= 1.0", v => v <= 1.0);
        Check(issue3, "w1", "W1 epoch 2 time D/T", Get("w1.epoch2.s", r => r.Ratio), "<= 0.6", v => v <= 0.6);
        Check(issue3, "w1", "W1 test accuracy after 3 epochs, %", Get("w1.acc3", r => r.Dendrite), ">= 97.5", v => v >= 97.5);
        Check(issue3, "infer", "batch-1 latency D/T", Get("infer.b1.latency", r => r.Ratio), "<= 0.5", v => v <= 0.5);
        Check(issue3, "infer", "batch-256 throughput D/T", Get("infer.b256.throughput", r => r.Ratio), ">= 1.5", v => v >= 1.5);
        Check(issue3, "w1", "managed bytes per W1 step", Get("w1.alloc_step", r => r.Dendrite), "< 65536", v => v < 65536);

        string peak = $"W0 {all}-thread peak";
        Check(issue4, "w2", "W2 epoch 2 time D/T", Get("w2.epoch2.s", r => r.Ratio), "<= 0.5", v => v <= 0.5);
        Check(issue4, "w2", $"W2 epoch 2 achieved rate, % of {peak}", Get("w2.epoch2.peak_pct", r => r.Dendrite), ">= 30", v => v >= 30);
        Check(issue4, "w5", "W5 batch-1 latency D/T", Get("w5.b1.latency", r => r.Ratio), "<= 0.5", v => v <= 0.5);
        Check(issue4, "w5", "W5 batch-256 throughput D/T", Get("w5.b256.throughput", r => r.Ratio), ">= 2", v => v >= 2);
        Check(issue4, "w5", $"W5 batch-256 throughput, % of {peak}", Get("w5.b256.peak_pct", r => r.Dendrite), ">= 30", v => v >= 30);

        Check(issue5, "w3", "W3 epoch 2 time D/T", Get("w3.epoch2.s", r => r.Ratio), "<= 0.5", v => v <= 0.5);

        string when = quick ? "QUICK RUN: indicative only" : "medians of this run, against TorchSharp as shipped";
        int width = issue3.Concat(issue4).Concat(issue5).Select(c => c.Name.Length).DefaultIfEmpty(0).Max();
        foreach (var (issue, checks) in new[] { (3, issue3), (4, issue4), (5, issue5) })
        {
            if (checks.Count == 0) continue;
            o.WriteLine();
            o.WriteLine($"Issue {issue} acceptance ({when})");
            foreach (var (name, value, target, pass) in checks)
                o.WriteLine($"  {name.PadRight(width)}  {Figure.Format(value),9}  {target,-8}  {(pass is null ? "n/a" : pass.Value ? "PASS" : "FAIL")}");
        }
    }

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var csv = new StringBuilder("workload,id,label,unit,better,dendrite,torchsharp,torchsharp_tuned,ratio_d_over_t,onnxruntime,ratio_d_over_o\n");
        foreach (var r in Rows)
            csv.AppendJoin(',', r.Workload, r.Id, Quote(r.Label), r.Unit, r.HigherIsBetter ? "higher" : "lower",
                Number(r.Dendrite), Number(r.TorchSharp), Number(r.TorchSharpTuned), Number(r.Ratio), Number(r.OnnxRuntime), Number(r.RatioOnnx)).Append('\n');
        File.WriteAllText(Path.Combine(directory, "results.csv"), csv.ToString());

        var json = new
        {
            quick,
            meta,
            peer = new
            {
                asShipped = plain is null ? null : new { plain.ExitCode, plain.Error, plain.Info, plain.WallSeconds },
                tuned = tuned is null ? null : new { tuned.ExitCode, tuned.Error, tuned.Info, tuned.WallSeconds, glibcTunables = PeerRunner.Tunables },
            },
            rows = Rows.Select(r => new
            {
                r.Workload, r.Id, r.Label, r.Unit, r.HigherIsBetter,
                Dendrite = Nullable(r.Dendrite), TorchSharp = Nullable(r.TorchSharp), TorchSharpTuned = Nullable(r.TorchSharpTuned), Ratio = Nullable(r.Ratio),
                OnnxRuntime = Nullable(r.OnnxRuntime), RatioOnnx = Nullable(r.RatioOnnx),
            }),
        };
        File.WriteAllText(Path.Combine(directory, "results.json"),
            JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    }

    private static double? Nullable(double v) => double.IsFinite(v) ? v : null;
    private static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
    private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
}
