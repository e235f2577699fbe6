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

    /// <summary>W1: Adam lr 1e-3, batch 128, cross-entropy, reshuffled each epoch from one seeded generator.</summary>
    public static IEnumerable<Figure> Mlp(string dataDirectory, bool quick)
    {
        torch.set_num_threads(Protocol.AllCores);
        var (trainX, trainY) = Mnist.Load(dataDirectory, train: true);
        var (testX, testY) = Mnist.Load(dataDirectory, train: false);
        if (Protocol.MlpTrainLimit(quick) is { } limit)
        {
            trainX = trainX.narrow(0, 0, limit);
            trainY = trainY.narrow(0, 0, limit);
        }
        GC.Collect();
        ProcessMemory.ResetPeak();
        torch.manual_seed(Protocol.Seed);
        var model = MnistMlp();
        var optimizer = torch.optim.Adam(model.parameters(), lr: Protocol.MlpLr);
        var order = new torch.Generator((ulong)Protocol.Seed);
        long count = trainX.shape[0];
        int batches = (int)((count + Protocol.MlpBatch - 1) / Protocol.MlpBatch);

        for (int epoch = 1; epoch <= Protocol.MlpEpochs; epoch++)
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
                    long offset = (long)b * Protocol.MlpBatch;
                    var index = permutation.narrow(0, offset, Math.Min(Protocol.MlpBatch, count - offset));
                    Step(model, optimizer, trainX.index_select(0, index), trainY.index_select(0, index));
                }
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            yield return Protocol.Epoch(epoch, seconds);
            if (epoch == 2)
            {
                yield return Protocol.AllocPerStepWithLoader((double)(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / batches);
                yield return Protocol.GcCount(Collections() - collectionsBefore);
            }
            if (epoch is 1 or Protocol.MlpEpochs) yield return Protocol.Accuracy(epoch, Accuracy(model, testX, testY));
        }

        // Managed allocation of the step alone: batches gathered beforehand, then AllocSteps steps on them.
        var xs = new List<Tensor>();
        var ys = new List<Tensor>();
        for (int b = 0; b < Protocol.AllocSteps; b++)
        {
            long offset = (long)b * Protocol.MlpBatch % Math.Max(1, count - Protocol.MlpBatch);
            xs.Add(trainX.narrow(0, offset, Protocol.MlpBatch).clone());
            ys.Add(trainY.narrow(0, offset, Protocol.MlpBatch).clone());
        }
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int b = 0; b < Protocol.AllocSteps; b++)
        {
            using var scope = torch.NewDisposeScope();
            Step(model, optimizer, xs[b], ys[b]);
        }
        yield return Protocol.AllocPerStep((double)(GC.GetTotalAllocatedBytes(precise: true) - before) / Protocol.AllocSteps);
        yield return Protocol.PeakRss(ProcessMemory.PeakRssMb());
        foreach (var t in xs.Concat(ys)) t.Dispose();
    }

    /// <summary>Inference with the W1 net in eval mode under no_grad: batch-1 latency and batch-256 throughput.</summary>
    public static IEnumerable<Figure> Inference(string dataDirectory, bool quick)
    {
        torch.set_num_threads(Protocol.AllCores);
        var (testX, _) = Mnist.Load(dataDirectory, train: false);
        torch.manual_seed(Protocol.Seed);
        var model = MnistMlp();
        model.eval();
        using var noGrad = torch.no_grad();
        using var one = testX.narrow(0, 0, 1).clone();
        using var batch = testX.narrow(0, 0, Protocol.InferBatch).clone();
        double latency = Measure.MedianLatency(() =>
        {
            using var scope = torch.NewDisposeScope();
            model.forward(one);
        }, Protocol.LatencySamples(quick), warmup: 200);
        yield return Protocol.Latency(latency);
        double perBatch = Measure.MedianLatency(() =>
        {
            using var scope = torch.NewDisposeScope();
            model.forward(batch);
        }, Protocol.ThroughputSamples(quick), warmup: 10);
        yield return Protocol.Throughput(perBatch);
    }

    private static void Step(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x, Tensor y)
    {
        var output = model.forward(x);
        var loss = nn.functional.cross_entropy(output, y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        float value = loss.item<float>();
        if (!float.IsFinite(value)) throw new InvalidOperationException($"W1: the loss became {value}.");
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
