using System.Diagnostics;
using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;
using Threading = Dendrite.Backends.Cpu.Threading;

namespace Dendrite.Bench;

/// <summary>
/// The protocol's workloads in Dendrite, in this process. Each mirrors Peer.TorchSharp/Workloads.cs line for line and
/// is timed by the same <see cref="Measure"/> rules.
/// </summary>
internal static class DendriteWorkloads
{
    /// <summary>
    /// W0: FMA peak on one core and on all cores, median and best sample (Dendrite side only; the peer has nothing to
    /// add). Other work on the machine can only lower a sample, so the best one is the estimate W4's % of peak uses.
    /// </summary>
    public static IEnumerable<Figure> FmaPeaks(bool quick)
    {
        int samples = quick ? 3 : 7;
        foreach (int threads in Protocol.GemmThreads)
        {
            var (median, best) = FmaPeak.GflopsPerSecond(threads, samples);
            yield return new Figure("w0", $"w0.peak.t{threads}", $"FMA peak, {Protocol.Threads(threads)}, median", "GFLOP/s", median, true);
            yield return new Figure("w0", $"w0.peak_best.t{threads}", $"FMA peak, {Protocol.Threads(threads)}, best of {samples}", "GFLOP/s", best, true);
        }
    }

    /// <summary>W4: F.MatMul of two n×n float32 matrices, on 1 thread and on all cores.</summary>
    public static IEnumerable<Figure> Gemm(bool quick)
    {
        using var noGrad = Tensor.NoGrad();
        Torch.ManualSeed((ulong)Protocol.Seed);
        foreach (int threads in Protocol.GemmThreads)
        {
            Threading.NumThreads = threads;
            foreach (int n in Protocol.GemmSizes)
            {
                var a = Tensor.Randn(n, n);
                var b = Tensor.Randn(n, n);
                // In a TensorScope, as a training step runs: the product's storage is recycled, not page-faulted in anew.
                double seconds = Measure.MedianSeconds(() =>
                {
                    using var scope = Tensor.Scope();
                    F.MatMul(a, b);
                }, Protocol.GemmSamples(quick), Protocol.GemmWarmup);
                foreach (var f in Protocol.Gemm(threads, n, seconds)) yield return f;
            }
        }
        Threading.NumThreads = Protocol.AllCores;
    }

    /// <summary>W1: Presets.MnistMlp, Adam lr 1e-3, batch 128, cross-entropy, three epochs.</summary>
    public static IEnumerable<Figure> Mlp(string? dataDirectory, bool quick) =>
        Train("w1", Presets.MnistMlp, Protocol.MlpBatch, Protocol.MlpLr, Protocol.MlpEpochs, Protocol.MlpTrainLimit(quick), dataDirectory, rate: null);

    /// <summary>
    /// W2: Presets.MnistCnn (PyTorch's examples/mnist net, dropout active in training), Adam lr 1e-3, batch 64,
    /// cross-entropy, <paramref name="epochs"/> epochs; also the achieved GFLOP/s of epoch 2.
    /// </summary>
    public static IEnumerable<Figure> Cnn(string? dataDirectory, bool quick, int epochs) =>
        Train("w2", Presets.MnistCnn, Protocol.CnnBatch, Protocol.CnnLr, epochs, Protocol.CnnTrainLimit(quick), dataDirectory, Protocol.CnnTrainRate);

    /// <summary>
    /// W2 with the network written as a custom <see cref="Module"/> (<see cref="MnistNet"/>, PyTorch's examples/mnist
    /// style) instead of the preset's <see cref="Sequential"/>: the same training, for the same-speed check of the fused op.
    /// </summary>
    public static IEnumerable<Figure> CnnModule(string? dataDirectory, bool quick, int epochs) =>
        Train("w2m", () => new MnistNet(), Protocol.CnnBatch, Protocol.CnnLr, epochs, Protocol.CnnTrainLimit(quick), dataDirectory, rate: null);

    /// <summary>
    /// W3: Presets.MnistLstm (sequential MNIST: the 28 rows of an image as 28 time steps of 28 pixels for LSTM(28, 128),
    /// its last hidden state to Linear(128, 10)), Adam lr 1e-3, batch 128, cross-entropy, <paramref name="epochs"/> epochs.
    /// </summary>
    public static IEnumerable<Figure> Lstm(string? dataDirectory, bool quick, int epochs) =>
        Train("w3", Presets.MnistLstm, Protocol.LstmBatch, Protocol.LstmLr, epochs, Protocol.LstmTrainLimit(quick), dataDirectory, rate: null);

    /// <summary>
    /// Trains a fresh <paramref name="build"/>() with Adam and cross-entropy, DataLoader reshuffling each epoch from the
    /// protocol seed. The step is Trainer.Fit's: in a recycled iteration (or a Tensor.Scope), forward, loss, ZeroGrad(),
    /// Backward, Step, loss.Item(). <paramref name="rate"/> (images, seconds) turns epoch 2 into a GFLOP/s figure.
    /// </summary>
    private static IEnumerable<Figure> Train(string workload, Func<Module> build, int batchSize, float lr, int epochs, int? trainLimit,
        string? dataDirectory, Func<int, double, Figure>? rate)
    {
        Threading.NumThreads = Protocol.AllCores;
        var (train, test) = Mnist.Load(dataDirectory);
        IDataset trainSet = trainLimit is { } limit ? train.Take(limit) : train;
        GC.Collect();
        ProcessMemory.ResetPeak();
        Torch.ManualSeed((ulong)Protocol.Seed);
        var model = build();
        var optimizer = new Adam(model.Parameters(), lr: lr);
        // recycle: as Trainer.Fit, each step's batch, activations and gradients reuse the previous step's storage.
        var loader = new DataLoader(trainSet, batchSize, shuffle: true, seed: (ulong)Protocol.Seed, recycle: true);

        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            model.Train();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            int collectionsBefore = Collections();
            long start = Stopwatch.GetTimestamp();
            foreach (var (x, y) in loader) Step(workload, model, optimizer, x, y);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            yield return Protocol.Epoch(workload, epoch, seconds);
            if (epoch == 2)
            {
                if (rate is not null) yield return rate(trainSet.Count, seconds);
                yield return Protocol.AllocPerStepWithLoader(workload, (double)(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / loader.Count);
                yield return Protocol.GcCount(workload, Collections() - collectionsBefore);
            }
            if (epoch == 1 || epoch == epochs)
                yield return Protocol.Accuracy(workload, epoch, model.Evaluate(test, Losses.CrossEntropy, 256).Accuracy ?? double.NaN);
        }

        // Managed allocation of the step alone: batches gathered beforehand, then AllocSteps steps on them.
        // Kept across steps, so gathered by a loader that does not recycle.
        var batches = new List<(Tensor X, Tensor Y)>();
        foreach (var batch in new DataLoader(trainSet, batchSize, shuffle: true, seed: (ulong)Protocol.Seed))
        {
            if (batches.Count == Protocol.AllocSteps) break;
            if (batch.Input.Shape[0] == batchSize) batches.Add(batch);
        }
        model.Train();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        foreach (var (x, y) in batches)
        {
            using var scope = Tensor.Scope();
            Step(workload, model, optimizer, x, y);
        }
        yield return Protocol.AllocPerStep(workload, (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / batches.Count);
        yield return Protocol.PeakRss(workload, ProcessMemory.PeakRssMb());
    }

    /// <summary>Inference with the W1 net in eval mode under NoGrad: batch-1 latency and batch-256 throughput.</summary>
    public static IEnumerable<Figure> Inference(string? dataDirectory, bool quick) =>
        Infer("infer", Presets.MnistMlp, dataDirectory, quick, rate: null);

    /// <summary>W5: the W2 net the same way, and its batch-256 throughput as GFLOP/s.</summary>
    public static IEnumerable<Figure> CnnInference(string? dataDirectory, bool quick) =>
        Infer("w5", Presets.MnistCnn, dataDirectory, quick, Protocol.CnnInferRate);

    /// <summary>
    /// A fresh <paramref name="build"/>() (the protocol seed) in eval mode under NoGrad, all cores: the median latency of
    /// test image 0 alone, and the median time of test images 0…255 as one batch (<paramref name="rate"/> turns it into GFLOP/s).
    /// </summary>
    private static IEnumerable<Figure> Infer(string workload, Func<Module> build, string? dataDirectory, bool quick, Func<double, Figure>? rate)
    {
        Threading.NumThreads = Protocol.AllCores;
        var (_, test) = Mnist.Load(dataDirectory);
        Torch.ManualSeed((ulong)Protocol.Seed);
        var model = build();
        model.Eval();
        using var noGrad = Tensor.NoGrad();
        var one = test.GetBatch([0]).Input;
        var batch = test.GetBatch(Enumerable.Range(0, Protocol.InferBatch).ToArray()).Input;
        double latency = Measure.MedianLatency(() => Forward(model, one), Protocol.LatencySamples(quick), warmup: 200);
        yield return Protocol.Latency(workload, latency);
        double perBatch = Measure.MedianLatency(() => Forward(model, batch), Protocol.ThroughputSamples(quick), warmup: 10);
        yield return Protocol.Throughput(workload, perBatch);
        if (rate is not null) yield return rate(perBatch);
    }

    /// <summary>
    /// The W6 network: a CIFAR-shaped ResNet of basic blocks. Stem conv3x3(3→32, padding 1, no bias) + BatchNorm2d + ReLU;
    /// two blocks at 32; a stride-2 block to 64 (1×1 stride-2 projection + batch norm on the shortcut) and one more at 64;
    /// a stride-2 block to 128 with projection; AdaptiveAvgPool2d(1), Flatten, Linear(128, 10). Default init (PyTorch's).
    /// </summary>
    public static Sequential ResNet() => new(
        new Conv2d(Protocol.ResNetChannels, 32, 3, padding: 1, bias: false), new BatchNorm2d(32), new ReLU(),
        new BasicBlock(32, 32), new BasicBlock(32, 32),
        new BasicBlock(32, 64, stride: 2), new BasicBlock(64, 64),
        new BasicBlock(64, 128, stride: 2),
        new AdaptiveAvgPool2d(1), new Flatten(), new Linear(128, Protocol.ResNetClasses));

    /// <summary>W6's images and labels (<see cref="SyntheticImages"/>) as a dataset: [count, 3, 32, 32] and class indices [count].</summary>
    public static TensorDataset ResNetData(int count)
    {
        var (pixels, labels) = SyntheticImages.Generate(count, (ulong)Protocol.Seed);
        return new TensorDataset(Tensor.FromArray(pixels, count, Protocol.ResNetChannels, Protocol.ResNetSize, Protocol.ResNetSize),
            Tensor.FromArray([.. labels.Select(l => (float)l)], count));
    }

    /// <summary>
    /// W6 training: <see cref="ResNet"/>, SGD momentum 0.9 lr 0.05, batch 128, cross-entropy, two epochs over the
    /// generated images (generated before timing), DataLoader reshuffling from the protocol seed; the step is
    /// <see cref="Step"/>, as W1's. Figures: the two epoch times, epoch 2's images/s and GFLOP/s, epoch 2's managed bytes
    /// per step and GC count, and the peak RSS over the baseline after the data was generated.
    /// </summary>
    public static IEnumerable<Figure> ResNetTraining(bool quick)
    {
        Threading.NumThreads = Protocol.AllCores;
        var train = ResNetData(Protocol.ResNetTrainImages(quick));
        GC.Collect();
        ProcessMemory.ResetPeak();
        Torch.ManualSeed((ulong)Protocol.Seed);
        var model = ResNet();
        var optimizer = new Sgd(model.Parameters(), lr: Protocol.ResNetLr, momentum: Protocol.ResNetMomentum);
        var loader = new DataLoader(train, Protocol.ResNetBatch, shuffle: true, seed: (ulong)Protocol.Seed, recycle: true);
        model.Train();
        for (int epoch = 1; epoch <= Protocol.ResNetEpochs; epoch++)
        {
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            int collectionsBefore = Collections();
            long start = Stopwatch.GetTimestamp();
            foreach (var (x, y) in loader) Step("w6", model, optimizer, x, y);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            yield return Protocol.Epoch("w6", epoch, seconds);
            if (epoch != 2) continue;
            yield return Protocol.ResNetTrainThroughput(train.Count, seconds);
            yield return Protocol.ResNetTrainRate(train.Count, seconds);
            yield return Protocol.AllocPerStepWithLoader("w6", (double)(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / loader.Count);
            yield return Protocol.GcCount("w6", Collections() - collectionsBefore);
        }
        yield return Protocol.PeakRss("w6", ProcessMemory.PeakRssMb());
    }

    /// <summary>
    /// W6 inference: a fresh <see cref="ResNet"/> (the protocol seed) in eval mode under NoGrad, all cores, on the first
    /// 256 generated images as one batch: the median of individually timed calls as images/s and GFLOP/s.
    /// </summary>
    public static IEnumerable<Figure> ResNetInference(bool quick)
    {
        Threading.NumThreads = Protocol.AllCores;
        var batch = ResNetData(Protocol.InferBatch).Inputs;
        Torch.ManualSeed((ulong)Protocol.Seed);
        var model = ResNet();
        model.Eval();
        using var noGrad = Tensor.NoGrad();
        double perBatch = Measure.MedianLatency(() => Forward(model, batch), Protocol.ThroughputSamples(quick), warmup: 10);
        yield return Protocol.Throughput("w6", perBatch);
        yield return Protocol.ResNetInferRate(perBatch);
    }

    private static void Forward(Module model, Tensor input)
    {
        using var scope = Tensor.Scope();
        model.Forward(input);
    }

    private static void Step(string workload, Module model, Optimizer optimizer, Tensor x, Tensor y)
    {
        var output = model.Forward(x);
        var loss = F.CrossEntropy(output, y);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        float value = loss.Item();
        if (!float.IsFinite(value)) throw new TrainingDivergedException($"{workload}: the loss became {value}.");
    }

    private static int Collections() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
}
