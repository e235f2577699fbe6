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

    /// <summary>
    /// The W3 network, as Dendrite's Presets.MnistLstm (default init, PyTorch's): an image viewed as [N, 28, 28], its 28
    /// rows the time steps of LSTM(28, 128, batch_first), and the last layer's final hidden state h_n[-1] to Linear(128, 10).
    /// </summary>
    public static nn.Module<Tensor, Tensor> MnistLstm() => new LstmClassifier();

    private sealed class LstmClassifier : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.LSTM rnn;
        private readonly TorchSharp.Modules.Linear fc;

        public LstmClassifier() : base(nameof(LstmClassifier))
        {
            rnn = nn.LSTM(Protocol.LstmSteps, Protocol.LstmHidden, batchFirst: true);
            fc = nn.Linear(Protocol.LstmHidden, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var (_, h, _) = rnn.forward(input.view(-1, Protocol.LstmSteps, Protocol.LstmSteps));
            return fc.forward(h.select(0, -1));
        }
    }

    /// <summary>W1: MnistMlp, Adam lr 1e-3, batch 128, cross-entropy, three epochs.</summary>
    public static IEnumerable<Figure> Mlp(string dataDirectory, bool quick) =>
        Train("w1", MnistMlp, Protocol.MlpBatch, Protocol.MlpLr, Protocol.MlpEpochs, Protocol.MlpTrainLimit(quick), dataDirectory, rate: null);

    /// <summary>W2: MnistCnn, Adam lr 1e-3, batch 64, cross-entropy, <paramref name="epochs"/> epochs; also epoch 2's GFLOP/s.</summary>
    public static IEnumerable<Figure> Cnn(string dataDirectory, bool quick, int epochs) =>
        Train("w2", MnistCnn, Protocol.CnnBatch, Protocol.CnnLr, epochs, Protocol.CnnTrainLimit(quick), dataDirectory, Protocol.CnnTrainRate);

    /// <summary>W3: MnistLstm, Adam lr 1e-3, batch 128, cross-entropy, <paramref name="epochs"/> epochs.</summary>
    public static IEnumerable<Figure> Lstm(string dataDirectory, bool quick, int epochs) =>
        Train("w3", MnistLstm, Protocol.LstmBatch, Protocol.LstmLr, epochs, Protocol.LstmTrainLimit(quick), dataDirectory, rate: null);

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
            double seconds = TimedEpoch(workload, model, optimizer, trainX, trainY, order, batchSize);
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

    /// <summary>
    /// The W6 network, as Dendrite.Bench's DendriteWorkloads.ResNet (default init, PyTorch's): stem conv3x3(3→32,
    /// padding 1, no bias) + BatchNorm2d + ReLU; basic blocks 32, 32, 32→64 stride 2, 64, 64→128 stride 2;
    /// AdaptiveAvgPool2d(1), Flatten, Linear(128, 10).
    /// </summary>
    public static nn.Module<Tensor, Tensor> ResNet() => nn.Sequential(
        ("conv1", nn.Conv2d(Protocol.ResNetChannels, 32, 3, padding: 1, bias: false)), ("bn1", nn.BatchNorm2d(32)), ("relu", nn.ReLU()),
        ("block1", new BasicBlock(32, 32, 1)), ("block2", new BasicBlock(32, 32, 1)),
        ("block3", new BasicBlock(32, 64, 2)), ("block4", new BasicBlock(64, 64, 1)),
        ("block5", new BasicBlock(64, 128, 2)),
        ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(128, Protocol.ResNetClasses)));

    /// <summary>
    /// torchvision's BasicBlock, as Dendrite's NN.BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the
    /// shortcut a 1×1 strided conv + batch norm when the stride or the channel count changes, else the identity.
    /// </summary>
    private sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Conv2d conv1, conv2;
        private readonly TorchSharp.Modules.BatchNorm2d bn1, bn2;
        private readonly nn.Module<Tensor, Tensor>? downsample;

        public BasicBlock(long inChannels, long outChannels, long stride) : base(nameof(BasicBlock))
        {
            conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
            bn1 = nn.BatchNorm2d(outChannels);
            conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(outChannels);
            if (stride != 1 || inChannels != outChannels)
                downsample = nn.Sequential(nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), nn.BatchNorm2d(outChannels));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var residual = bn2.forward(conv2.forward(nn.functional.relu(bn1.forward(conv1.forward(input)))));
            var shortcut = downsample is null ? input : downsample.forward(input);
            return nn.functional.relu(residual.add_(shortcut));
        }
    }

    /// <summary>W6's generated images (<see cref="SyntheticImages"/>) as tensors: [count, 3, 32, 32] float32 and int64 labels.</summary>
    private static (Tensor X, Tensor Y) ResNetData(int count)
    {
        var (pixels, labels) = SyntheticImages.Generate(count, (ulong)Protocol.Seed);
        return (torch.tensor(pixels, [count, Protocol.ResNetChannels, Protocol.ResNetSize, Protocol.ResNetSize]),
            torch.tensor(labels.Select(l => (long)l).ToArray(), [count]));
    }

    /// <summary>
    /// W6 training, as Dendrite's ResNetTraining: SGD momentum 0.9 lr 0.05, batch 128, cross-entropy, two epochs over the
    /// generated images, reshuffled each epoch from one seeded generator.
    /// </summary>
    public static IEnumerable<Figure> ResNetTraining(bool quick)
    {
        torch.set_num_threads(Protocol.AllCores);
        var (trainX, trainY) = ResNetData(Protocol.ResNetTrainImages(quick));
        GC.Collect();
        ProcessMemory.ResetPeak();
        torch.manual_seed(Protocol.Seed);
        var model = ResNet();
        var optimizer = torch.optim.SGD(model.parameters(), Protocol.ResNetLr, momentum: Protocol.ResNetMomentum);
        var order = new torch.Generator((ulong)Protocol.Seed);
        long count = trainX.shape[0];
        int batchSize = Protocol.ResNetBatch;
        int batches = (int)((count + batchSize - 1) / batchSize);
        model.train();
        for (int epoch = 1; epoch <= Protocol.ResNetEpochs; epoch++)
        {
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            int collectionsBefore = Collections();
            double seconds = TimedEpoch("w6", model, optimizer, trainX, trainY, order, batchSize);
            yield return Protocol.Epoch("w6", epoch, seconds);
            if (epoch != 2) continue;
            yield return Protocol.ResNetTrainThroughput((int)count, seconds);
            yield return Protocol.ResNetTrainRate((int)count, seconds);
            yield return Protocol.AllocPerStepWithLoader("w6", (double)(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / batches);
            yield return Protocol.GcCount("w6", Collections() - collectionsBefore);
        }
        yield return Protocol.PeakRss("w6", ProcessMemory.PeakRssMb());
        trainX.Dispose();
        trainY.Dispose();
    }

    /// <summary>W6 inference, as Dendrite's: a fresh ResNet in eval mode under no_grad on the first 256 generated images.</summary>
    public static IEnumerable<Figure> ResNetInference(bool quick)
    {
        torch.set_num_threads(Protocol.AllCores);
        var (batch, labels) = ResNetData(Protocol.InferBatch);
        torch.manual_seed(Protocol.Seed);
        var model = ResNet();
        model.eval();
        using var noGrad = torch.no_grad();
        double perBatch = Measure.MedianLatency(() =>
        {
            using var scope = torch.NewDisposeScope();
            model.forward(batch);
        }, Protocol.ThroughputSamples(quick), warmup: 10);
        yield return Protocol.Throughput("w6", perBatch);
        yield return Protocol.ResNetInferRate(perBatch);
        batch.Dispose();
        labels.Dispose();
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

    /// <summary>
    /// One timed epoch, as the protocol times it: a fresh permutation from the seeded <paramref name="order"/>, then one
    /// step per batch (the last one short), each in its own dispose scope. Returns the seconds.
    /// </summary>
    private static double TimedEpoch(string workload, nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor trainX,
        Tensor trainY, torch.Generator order, int batchSize)
    {
        long count = trainX.shape[0];
        int batches = (int)((count + batchSize - 1) / batchSize);
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
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
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
