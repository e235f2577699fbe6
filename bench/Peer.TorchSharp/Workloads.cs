using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dendrite.Bench.Peer;

/// <summary>
/// The protocol's workloads in TorchSharp, written as a TorchSharp user would (dispose scopes per step, no_grad for
/// inference), timed by the same <see cref="Measure"/> rules as Dendrite's side.
/// </summary>
internal static class Workloads
{
    /// <summary>W4: torch.matmul of two n×n float32 matrices, on 1 thread and on all cores.</summary>
    public static IEnumerable<Figure> Gemm(bool quick)
    {
        using var noGrad = torch.no_grad();
        foreach (int threads in Protocol.GemmThreads)
        {
            torch.set_num_threads(threads);
            foreach (int n in Protocol.GemmSizes)
            {
                using var a = torch.randn(n, n);
                using var b = torch.randn(n, n);
                double seconds = Measure.MedianSeconds(() =>
                {
                    using var c = torch.matmul(a, b);
                }, Protocol.GemmSamples(quick), Protocol.GemmWarmup);
                foreach (var f in Protocol.Gemm(threads, n, seconds)) yield return f;
            }
        }
        torch.set_num_threads(Protocol.AllCores);
    }

    /// <summary>The W1 network, as Dendrite's Presets.MnistMlp: Flatten, 784-512 ReLU, 512-512 ReLU, 512-10.</summary>
    public static nn.Module<Tensor, Tensor> MnistMlp() => nn.Sequential(
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(784, 512)), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(512, 512)), ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(512, 10)));

    /// <summary>
    /// The W2 network, as Dendrite's Presets.MnistCnn (PyTorch's examples/mnist net; TorchSharp's default init is
    /// PyTorch's, as Dendrite's): Conv2d(1,32,3) ReLU, Conv2d(32,64,3) ReLU, MaxPool2d(2), Dropout(0.25), Flatten,
    /// Linear(9216,128) ReLU, Dropout(0.5), Linear(128,10).
    /// </summary>
    public static nn.Module<Tensor, Tensor> MnistCnn() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 32, 3)), ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(32, 64, 3)), ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(2)), ("dropout1", nn.Dropout(0.25)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(9216, 128)), ("relu3", nn.ReLU()), ("dropout2", nn.Dropout(0.5)),
        ("fc2", nn.Linear(128, 10)));

    /// <summary>W1: MnistMlp, Adam lr 1e-3, batch 128, cross-entropy, three epochs.</summary>
    public static IEnumerable<Figure> Mlp(string dataDirectory, bool quick) =>
        Train("w1", MnistMlp, Protocol.MlpBatch, Protocol.MlpLr, Protocol.MlpEpochs, Protocol.MlpTrainLimit(quick), dataDirectory, rate: null);

    /// <summary>W2: MnistCnn, Adam lr 1e-3, batch 64, cross-entropy, <paramref name="epochs"/> epochs; also epoch 2's GFLOP/s.</summary>
    public static IEnumerable<Figure> Cnn(string dataDirectory, bool quick, int epochs) =>
        Train("w2", MnistCnn, Protocol.CnnBatch, Protocol.CnnLr, epochs, Protocol.CnnTrainLimit(quick), dataDirectory, Protocol.CnnTrainRate);

    /// <summary>
    /// Trains a fresh <paramref name="build"/>() with Adam and cross-entropy, reshuffled each epoch from one seeded
    /// generator. <paramref name="rate"/> (images, seconds) turns epoch 2 into a GFLOP/s figure.
    /// </summary>
    private static IEnumerable<Figure> Train(string workload, Func<nn.Module<Tensor, Tensor>> build, int batchSize, float lr, int epochs, int? trainLimit,
        string dataDirectory, Func<int, double, Figure>? rate)
    {
        torch.set_num_threads(Protocol.AllCores);
        var (trainX, trainY) = Mnist.Load(dataDirectory, train: true);
        var (testX, testY) = Mnist.Load(dataDirectory, train: false);
        if (trainLimit is { } limit)
        {
            trainX = trainX.narrow(0, 0, limit);
            trainY = trainY.narrow(0, 0, limit);
        }
        GC.Collect();
        ProcessMemory.ResetPeak();
        torch.manual_seed(Protocol.Seed);
        var model = build();
        var optimizer = torch.optim.Adam(model.parameters(), lr: lr);
        var order = new torch.Generator((ulong)Protocol.Seed);
        long count = trainX.shape[0];
        int batches = (int)((count + batchSize - 1) / batchSize);

        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            model.train();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            int collectionsBefore = Collections();
            long start = Stopwatch.GetTimestamp();
            using (var permutation = torch.randperm(count, generator: order))
            {
                for (int b = 0; b < batches; b++)
                {
                    using var scope = torch.NewDisposeScope();
                    long offset = (long)b * batchSize;
                    var index = permutation.narrow(0, offset, Math.Min(batchSize, count - offset));
                    Step(workload, model, optimizer, trainX.index_select(0, index), trainY.index_select(0, index));
                }
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            yield return Protocol.Epoch(workload, epoch, seconds);
            if (epoch == 2)
            {
                if (rate is not null) yield return rate((int)count, seconds);
                yield return Protocol.AllocPerStepWithLoader(workload, (double)(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / batches);
                yield return Protocol.GcCount(workload, Collections() - collectionsBefore);
            }
            if (epoch == 1 || epoch == epochs) yield return Protocol.Accuracy(workload, epoch, Accuracy(model, testX, testY));
        }

        // Managed allocation of the step alone: batches gathered beforehand, then AllocSteps steps on them.
        var xs = new List<Tensor>();
        var ys = new List<Tensor>();
        for (int b = 0; b < Protocol.AllocSteps; b++)
        {
            long offset = (long)b * batchSize % Math.Max(1, count - batchSize);
            xs.Add(trainX.narrow(0, offset, batchSize).clone());
            ys.Add(trainY.narrow(0, offset, batchSize).clone());
        }
        model.train();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int b = 0; b < Protocol.AllocSteps; b++)
        {
            using var scope = torch.NewDisposeScope();
            Step(workload, model, optimizer, xs[b], ys[b]);
        }
        yield return Protocol.AllocPerStep(workload, (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / Protocol.AllocSteps);
        yield return Protocol.PeakRss(workload, ProcessMemory.PeakRssMb());
        foreach (var t in xs.Concat(ys)) t.Dispose();
    }

    /// <summary>Inference with the W1 net in eval mode under no_grad: batch-1 latency and batch-256 throughput.</summary>
    public static IEnumerable<Figure> Inference(string dataDirectory, bool quick) =>
        Infer("infer", MnistMlp, dataDirectory, quick, rate: null);

    /// <summary>W5: the W2 net the same way, and its batch-256 throughput as GFLOP/s.</summary>
    public static IEnumerable<Figure> CnnInference(string dataDirectory, bool quick) =>
        Infer("w5", MnistCnn, dataDirectory, quick, Protocol.CnnInferRate);

    /// <summary>
    /// A fresh <paramref name="build"/>() (the protocol seed) in eval mode under no_grad, all cores: the median latency of
    /// test image 0 alone, and the median time of test images 0…255 as one batch (<paramref name="rate"/> turns it into GFLOP/s).
    /// </summary>
    private static IEnumerable<Figure> Infer(string workload, Func<nn.Module<Tensor, Tensor>> build, string dataDirectory, bool quick, Func<double, Figure>? rate)
    {
        torch.set_num_threads(Protocol.AllCores);
        var (testX, _) = Mnist.Load(dataDirectory, train: false);
        torch.manual_seed(Protocol.Seed);
        var model = build();
        model.eval();
        using var noGrad = torch.no_grad();
        using var one = testX.narrow(0, 0, 1).clone();
        using var batch = testX.narrow(0, 0, Protocol.InferBatch).clone();
        double latency = Measure.MedianLatency(() =>
        {
            using var scope = torch.NewDisposeScope();
            model.forward(one);
        }, Protocol.LatencySamples(quick), warmup: 200);
        yield return Protocol.Latency(workload, latency);
        double perBatch = Measure.MedianLatency(() =>
        {
            using var scope = torch.NewDisposeScope();
            model.forward(batch);
        }, Protocol.ThroughputSamples(quick), warmup: 10);
        yield return Protocol.Throughput(workload, perBatch);
        if (rate is not null) yield return rate(perBatch);
    }

    private static void Step(string workload, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x, Tensor y)
    {
        var output = model.forward(x);
        var loss = nn.functional.cross_entropy(output, y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        float value = loss.item<float>();
        if (!float.IsFinite(value)) throw new InvalidOperationException($"{workload}: the loss became {value}.");
    }

    private static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        long correct = 0, total = x.shape[0];
        for (long start = 0; start < total; start += 256)
        {
            using var scope = torch.NewDisposeScope();
            long length = Math.Min(256, total - start);
            var predicted = model.forward(x.narrow(0, start, length)).argmax(1);
            correct += predicted.eq(y.narrow(0, start, length)).sum().item<long>();
        }
        model.train();
        return (double)correct / total;
    }

    private static int Collections() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
}
