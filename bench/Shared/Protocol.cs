namespace Dendrite.Bench;

/// <summary>
/// The settings of ../shared/bench/PROTOCOL.md that both systems run with, and the figures they report, built in one
/// place so the harness and the peer cannot drift apart.
/// </summary>
public static class Protocol
{
    public static readonly string[] Workloads = ["w0", "w1", "w2", "w3", "infer", "w5", "w6", "w4"];

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
    /// <summary>Training steps over which managed allocation per step is averaged (after the epochs, W1, W2 and W3).</summary>
    public const int AllocSteps = 50;

    public const int CnnBatch = 64;
    public const float CnnLr = 1e-3f;
    /// <summary>
    /// W2's default epoch count: two, enough for the protocol's epoch-2 figure in half the time of three; --w2-epochs 3
    /// gives the protocol's accuracy after 3 epochs.
    /// </summary>
    public const int CnnDefaultEpochs = 2;
    /// <summary>--quick trains W2 on the first 6,000 images only, as W1.</summary>
    public static int? CnnTrainLimit(bool quick) => quick ? 6000 : null;

    // FLOPs of the W2 net (Presets.MnistCnn) per 28×28 image, from its layer shapes, counting a multiply-add as 2 and
    // only the convolutions and dense layers (bias, ReLU, pooling, dropout, the loss and Adam's update are each under 1% of it):
    //   conv1 1→32, 3×3, out 26×26:  2·26²·32·(1·9)  =    389,376
    //   conv2 32→64, 3×3, out 24×24: 2·24²·64·(32·9) = 21,233,664
    //   fc1 9216→128:                2·9216·128      =  2,359,296
    //   fc2 128→10:                  2·128·10        =      2,560
    //   forward F = 23,984,896 (≈ 24.0 MFLOP)
    // Backward: every layer's weight gradient costs its forward again, and every layer's input gradient too except
    // conv1's (the images need none): 2F − conv1. A training step is so 3F − conv1 = 71,565,312 FLOP an image, and a
    // 60,000-image epoch 4.294 TFLOP.
    private const double Conv1Flops = 2.0 * 26 * 26 * 32 * (1 * 9);
    public const double CnnForwardFlopsPerImage = Conv1Flops + 2.0 * 24 * 24 * 64 * (32 * 9) + 2.0 * 9216 * 128 + 2.0 * 128 * 10;
    public const double CnnTrainFlopsPerImage = 3 * CnnForwardFlopsPerImage - Conv1Flops;

    public const int LstmBatch = 128;
    public const float LstmLr = 1e-3f;
    /// <summary>W3's default epoch count: two, as W2's (epoch 2 is the protocol's time); --w3-epochs 3 gives its accuracy after 3 epochs.</summary>
    public const int LstmDefaultEpochs = 2;
    /// <summary>--quick trains W3 on the first 6,000 images only, as W1 and W2.</summary>
    public static int? LstmTrainLimit(bool quick) => quick ? 6000 : null;
    /// <summary>W3 reads an image as <see cref="LstmSteps"/> time steps (its rows) of <see cref="LstmSteps"/> pixels each.</summary>
    public const int LstmSteps = 28;
    public const int LstmHidden = 128;

    public const int ResNetBatch = 128;
    public const float ResNetLr = 0.05f;
    public const float ResNetMomentum = 0.9f;
    /// <summary>W6 trains two epochs: epoch 2 is the protocol's figure (images/s), epoch 1 carries JIT and warm-up.</summary>
    public const int ResNetEpochs = 2;
    /// <summary>
    /// Training images of a W6 epoch: the protocol's 50,000 (CIFAR-10's training set size); --quick 2,560 (20 steps),
    /// a smoke test, not a protocol figure.
    /// </summary>
    public static int ResNetTrainImages(bool quick) => quick ? 2560 : 50_000;
    public const int ResNetChannels = 3;
    public const int ResNetSize = 32;
    public const int ResNetClasses = 10;

    // FLOPs of the W6 net per 3×32×32 image, from its layer shapes, counting a multiply-add as 2 and only the
    // convolutions and the dense layer (batch norm, ReLU, the additions, pooling, the loss and SGD's update are each
    // under 1% of it); every convolution is 3×3 with padding 1 unless it is a 1×1 projection:
    //   stem conv 3→32, 32²:                        2·32²·32·(3·9)    =  1,769,472
    //   4 convs 32→32 (two blocks at 32), 32²:      4 · 2·32²·32·(32·9)  = 75,497,472
    //   conv 32→64 stride 2, 16²:                   2·16²·64·(32·9)   =  9,437,184
    //   3 convs 64→64 (rest of the two blocks), 16²: 3 · 2·16²·64·(64·9) = 56,623,104
    //   projection 1×1 32→64 stride 2, 16²:         2·16²·64·32       =  1,048,576
    //   conv 64→128 stride 2, 8²:                   2·8²·128·(64·9)   =  9,437,184
    //   conv 128→128, 8²:                           2·8²·128·(128·9)  = 18,874,368
    //   projection 1×1 64→128 stride 2, 8²:         2·8²·128·64       =  1,048,576
    //   fc 128→10:                                  2·128·10          =      2,560
    //   forward F = 173,738,496 (≈ 173.7 MFLOP)
    // Training as W2 counts it: every layer's weight gradient costs its forward again, and its input gradient too
    // except the stem's (the images need none): 3F − stem = 519,446,016 FLOP an image, 25.97 TFLOP a 50,000-image epoch.
    private const double ResNetStemFlops = 2.0 * 32 * 32 * 32 * (3 * 9);
    public const double ResNetForwardFlopsPerImage = ResNetStemFlops
        + 4 * (2.0 * 32 * 32 * 32 * (32 * 9))
        + 2.0 * 16 * 16 * 64 * (32 * 9) + 3 * (2.0 * 16 * 16 * 64 * (64 * 9)) + 2.0 * 16 * 16 * 64 * 32
        + 2.0 * 8 * 8 * 128 * (64 * 9) + 2.0 * 8 * 8 * 128 * (128 * 9) + 2.0 * 8 * 8 * 128 * 64
        + 2.0 * 128 * 10;
    public const double ResNetTrainFlopsPerImage = 3 * ResNetForwardFlopsPerImage - ResNetStemFlops;

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

    public static Figure Epoch(string workload, int epoch, double seconds) =>
        new(workload, $"{workload}.epoch{epoch}.s", epoch == 2 ? "epoch 2 time (the protocol's figure)" : $"epoch {epoch} time", "s", seconds, false);

    public static Figure Accuracy(string workload, int epoch, double fraction) =>
        new(workload, $"{workload}.acc{epoch}", $"test accuracy after {epoch} epoch{(epoch == 1 ? "" : "s")}", "%", fraction * 100, true);

    public static Figure PeakRss(string workload, double mb) => new(workload, $"{workload}.peak_rss", "peak RSS of the process", "MB", mb, false);

    public static Figure AllocPerStep(string workload, double bytes) =>
        new(workload, $"{workload}.alloc_step", "managed bytes per training step (after warm-up)", "bytes", bytes, false);

    public static Figure AllocPerStepWithLoader(string workload, double bytes) =>
        new(workload, $"{workload}.alloc_step_loader", "managed bytes per step incl. data loader (epoch 2)", "bytes", bytes, false);

    public static Figure GcCount(string workload, int collections) =>
        new(workload, $"{workload}.gc_epoch2", "GC collections during epoch 2 (all generations)", "count", collections, false);

    /// <summary>Batch-1 latency of "infer" (the W1 net) or "w5" (the W2 net).</summary>
    public static Figure Latency(string workload, double seconds) =>
        new(workload, $"{workload}.b1.latency", $"batch-1 forward latency (median, {Threads(AllCores)})", "µs", seconds * 1e6, false);

    public static Figure Throughput(string workload, double secondsPerBatch) =>
        new(workload, $"{workload}.b256.throughput", $"batch-{InferBatch} throughput ({Threads(AllCores)})", "images/s", InferBatch / secondsPerBatch, true);

    /// <summary>W2's achieved rate over epoch 2: <see cref="CnnTrainFlopsPerImage"/> × the epoch's images / its seconds.</summary>
    public static Figure CnnTrainRate(int images, double seconds) =>
        new("w2", "w2.epoch2.gflops", "epoch 2 achieved rate", "GFLOP/s",
            CnnTrainFlopsPerImage * images / seconds / 1e9, true);

    /// <summary>W6's training throughput: epoch 2's images / its seconds.</summary>
    public static Figure ResNetTrainThroughput(int images, double seconds) =>
        new("w6", "w6.train.throughput", $"training throughput, epoch 2 ({Threads(AllCores)})", "images/s", images / seconds, true);

    /// <summary>W6's epoch-2 rate: <see cref="ResNetTrainFlopsPerImage"/> × images / seconds.</summary>
    public static Figure ResNetTrainRate(int images, double seconds) =>
        new("w6", "w6.epoch2.gflops", "epoch 2 achieved rate", "GFLOP/s", ResNetTrainFlopsPerImage * images / seconds / 1e9, true);

    /// <summary>W6's batch-256 inference throughput as a rate: images/s × <see cref="ResNetForwardFlopsPerImage"/>.</summary>
    public static Figure ResNetInferRate(double secondsPerBatch) =>
        new("w6", "w6.b256.gflops", $"batch-{InferBatch} inference achieved rate", "GFLOP/s",
            ResNetForwardFlopsPerImage * InferBatch / secondsPerBatch / 1e9, true);

    /// <summary>W5's batch-256 throughput as a rate: images/s × <see cref="CnnForwardFlopsPerImage"/>.</summary>
    public static Figure CnnInferRate(double secondsPerBatch) =>
        new("w5", "w5.b256.gflops", $"batch-{InferBatch} achieved rate", "GFLOP/s",
            CnnForwardFlopsPerImage * InferBatch / secondsPerBatch / 1e9, true);
}
