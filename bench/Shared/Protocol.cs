namespace Dendrite.Bench;

/// <summary>
/// The settings of ../shared/bench/PROTOCOL.md that both systems run with, and the figures they report, built in one
/// place so the harness and the peer cannot drift apart.
/// </summary>
public static class Protocol
{
    public static readonly string[] Workloads = ["w0", "w1", "infer", "w4"];

    public static readonly int[] GemmSizes = [128, 256, 512, 1024, 2048];
    public const int GemmWarmup = 2;
    public static int GemmSamples(bool quick) => quick ? 3 : 10;

    public const int MlpBatch = 128;
    public const int MlpEpochs = 3;
    public const float MlpLr = 1e-3f;
    /// <summary>The CLI's default seed (MnistRunOptions.DefaultSeed, which explains the choice), for both systems.</summary>
    public const int Seed = 6;
    /// <summary>--quick trains on the first 6,000 images only: a smoke test, not a protocol figure.</summary>
    public static int? MlpTrainLimit(bool quick) => quick ? 6000 : null;
    /// <summary>Training steps over which managed allocation per step is averaged (after the three epochs).</summary>
    public const int AllocSteps = 50;

    public const int InferBatch = 256;
    public static int LatencySamples(bool quick) => quick ? 300 : 3000;
    public static int ThroughputSamples(bool quick) => quick ? 10 : 50;

    /// <summary>"All cores" of the protocol: every processor the process may use.</summary>
    public static int AllCores => Environment.ProcessorCount;

    /// <summary>Thread counts of the W4 table: 1 and all cores.</summary>
    public static int[] GemmThreads => AllCores == 1 ? [1] : [1, AllCores];

    public static string Threads(int n) => n == 1 ? "1 thread" : $"{n} threads";

    public static IEnumerable<Figure> Gemm(int threads, int n, double seconds)
    {
        string key = $"w4.t{threads}.n{n}";
        yield return new Figure("w4", key + ".gflops", $"n={n}, {Threads(threads)}", "GFLOP/s", 2.0 * n * n * n / seconds / 1e9, true);
        yield return new Figure("w4", key + ".ms", $"n={n}, {Threads(threads)}, time", "ms", seconds * 1e3, false);
    }

    public static Figure Epoch(int epoch, double seconds) =>
        new("w1", $"w1.epoch{epoch}.s", epoch == 2 ? "epoch 2 time (the protocol's figure)" : $"epoch {epoch} time", "s", seconds, false);

    public static Figure Accuracy(int epoch, double fraction) =>
        new("w1", $"w1.acc{epoch}", $"test accuracy after {epoch} epoch{(epoch == 1 ? "" : "s")}", "%", fraction * 100, true);

    public static Figure PeakRss(double mb) => new("w1", "w1.peak_rss", "peak RSS of the process", "MB", mb, false);

    public static Figure AllocPerStep(double bytes) =>
        new("w1", "w1.alloc_step", "managed bytes per training step (after warm-up)", "bytes", bytes, false);

    public static Figure AllocPerStepWithLoader(double bytes) =>
        new("w1", "w1.alloc_step_loader", "managed bytes per step incl. data loader (epoch 2)", "bytes", bytes, false);

    public static Figure GcCount(int collections) =>
        new("w1", "w1.gc_epoch2", "GC collections during epoch 2 (all generations)", "count", collections, false);

    public static Figure Latency(double seconds) =>
        new("infer", "infer.b1.latency", $"batch-1 forward latency (median, {Threads(AllCores)})", "µs", seconds * 1e6, false);

    public static Figure Throughput(double secondsPerBatch) =>
        new("infer", "infer.b256.throughput", $"batch-{InferBatch} throughput ({Threads(AllCores)})", "images/s", InferBatch / secondsPerBatch, true);
}
