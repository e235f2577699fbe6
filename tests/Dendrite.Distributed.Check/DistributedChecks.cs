using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Distributed.Check;

/// <summary>
/// Data-parallel training compared with one process on the same global batch. Every rank runs both sides (its shard
/// through <see cref="DistributedDataParallel"/>, and the whole batch alone) and returns the same number, so any rank
/// can report it.
/// </summary>
public static class DistributedChecks
{
    // In-process ranks share the default generator that layers initialise from: build one model at a time.
    private static readonly Lock s_build = new();

    /// <summary>
    /// The relative gap between the gradients one step of the W2 network (mnist-cnn, dropout off) averages over the
    /// ranks, each on <paramref name="perRankBatch"/> samples, and the gradients one process computes on all of them:
    /// the largest ‖g_ddp − g_one‖ / ‖g_one‖ over the parameter tensors.
    /// </summary>
    public static double W2GradientGap(ProcessGroup group, int perRankBatch = 32)
    {
        var data = SyntheticData(perRankBatch * group.WorldSize, [1, 28, 28], classes: 10, seed: 7);
        var ddp = new DistributedDataParallel(Build(Presets.MnistCnn, seed: 1), group);
        ddp.Eval();   // dropout off: the two sides would draw different masks
        int[] order = [.. Enumerable.Range(0, data.Count)];
        var (x, y) = data.GetBatch(ddp.Shard.Select(order));
        F.CrossEntropy(ddp.Call(x), y).Backward();
        ddp.SynchronizeGradients();

        var single = Replica(ddp.Module, Presets.MnistCnn);
        single.Eval();
        var (xAll, yAll) = data.GetBatch(order);
        F.CrossEntropy(single.Call(xAll), yAll).Backward();
        return MaxRelativeGap(ddp.Module.Parameters().Select(p => p.Grad!), single.Parameters().Select(p => p.Grad!));
    }

    /// <summary>
    /// The relative gap between the parameters after <paramref name="steps"/> SGD steps (momentum 0.9) of a small
    /// network trained data-parallel with <paramref name="perRankBatch"/> samples per rank, sharded and reshuffled
    /// every epoch, and the same network trained by one process with the global batch.
    /// </summary>
    public static double SgdTrajectoryGap(ProcessGroup group, int steps = 200, int perRankBatch = 16)
    {
        var data = SyntheticData(256, [20], classes: 4, seed: 11);
        var ddp = new DistributedDataParallel(BuildFrom<Sequential>(SmallNet, seed: 3), group);
        var single = Replica(ddp.Module, SmallNet);
        var optimizer = new Sgd(ddp.Parameters(), lr: 0.05f, momentum: 0.9f);
        var singleOptimizer = new Sgd(single.Parameters(), lr: 0.05f, momentum: 0.9f);
        var loader = new DataLoader(data, perRankBatch, shuffle: true, seed: 5) { Shard = ddp.Shard };
        var singleLoader = new DataLoader(data, perRankBatch * group.WorldSize, shuffle: true, seed: 5);
        for (int step = 0; step < steps;)
            foreach (var ((x, y), (xAll, yAll)) in loader.Zip(singleLoader))
            {
                if (step++ == steps) break;
                optimizer.ZeroGrad();
                F.CrossEntropy(ddp.Call(x), y).Backward();
                ddp.SynchronizeGradients();
                optimizer.Step();
                singleOptimizer.ZeroGrad();
                F.CrossEntropy(single.Call(xAll), yAll).Backward();
                singleOptimizer.Step();
            }
        return MaxRelativeGap(ddp.Parameters(), single.Parameters());
    }

    /// <summary>
    /// The relative gap between the parameters after 3 epochs of <see cref="Trainer.Fit"/> on the ranks (the wrapper as
    /// callback, each rank on its shard with batch 16) and 3 epochs of one process's Fit with the global batch.
    /// </summary>
    public static double FitGap(ProcessGroup group)
    {
        var data = SyntheticData(200, [20], classes: 4, seed: 17);
        var ddp = new DistributedDataParallel(BuildFrom<Sequential>(SmallNet, seed: 5), group);
        var single = Replica(ddp.Module, SmallNet);
        ddp.Fit(data, new Sgd(ddp.Parameters(), lr: 0.1f), Losses.CrossEntropy, epochs: 3, batchSize: 16, seed: 8,
            callbacks: [ddp], verbose: false, shard: ddp.Shard);
        single.Fit(data, new Sgd(single.Parameters(), lr: 0.1f), Losses.CrossEntropy, epochs: 3,
            batchSize: 16 * group.WorldSize, seed: 8, verbose: false);
        return MaxRelativeGap(ddp.Parameters(), single.Parameters());
    }

    /// <summary>
    /// SHA-256 (hex) of the small network's parameters after 20 steps of deterministic data-parallel training: the same
    /// text for the same number of ranks whatever carries the collectives.
    /// </summary>
    public static string DeterministicFingerprint(ProcessGroup group)
    {
        var data = SyntheticData(256, [20], classes: 4, seed: 13);
        var ddp = new DistributedDataParallel(BuildFrom<Sequential>(SmallNet, seed: 4), group, deterministic: true);
        var optimizer = new Adam(ddp.Parameters(), lr: 1e-2f);
        var loader = new DataLoader(data, 16, shuffle: true, seed: 6) { Shard = ddp.Shard };
        foreach (var (x, y) in Enumerable.Range(0, 3).SelectMany(_ => loader).Take(20))
        {
            optimizer.ZeroGrad();
            F.CrossEntropy(ddp.Call(x), y).Backward();
            ddp.SynchronizeGradients();
            optimizer.Step();
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in ddp.Parameters()) hash.AppendData(MemoryMarshal.AsBytes(p.Data));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>The largest ‖a − b‖ / ‖b‖ over pairs of same-shaped tensors, in double precision.</summary>
    public static double MaxRelativeGap(IEnumerable<Tensor> a, IEnumerable<Tensor> b)
    {
        double worst = 0;
        foreach (var (x, y) in a.Zip(b, (x, y) => (x, y)))
        {
            double difference = 0, norm = 0;
            var xs = x.Data;
            var ys = y.Data;
            for (int i = 0; i < ys.Length; i++)
            {
                difference += (double)(xs[i] - ys[i]) * (xs[i] - ys[i]);
                norm += (double)ys[i] * ys[i];
            }
            worst = Math.Max(worst, Math.Sqrt(difference / norm));
        }
        return worst;
    }

    /// <summary>A 20-32-4 tanh network: small enough for hundreds of steps in a test.</summary>
    public static Sequential SmallNet() => SmallNet(Generator.Default);

    /// <summary><see cref="SmallNet()"/> drawing its initial weights from <paramref name="generator"/>.</summary>
    public static Sequential SmallNet(Generator generator) =>
        new(new Linear(20, 32, generator: generator), new Tanh(), new Linear(32, 4, generator: generator));

    /// <summary>
    /// <paramref name="create"/>'s model, initialised from a generator of its own: the fingerprint's model must be the
    /// same in every process, and the global generator (<see cref="Build{T}(Func{T}, ulong)"/>) is shared with every
    /// test running beside an in-process group (a draw between its seeding and the model's made the test-host run's
    /// fingerprint differ from the MPI job's).
    /// </summary>
    private static T BuildFrom<T>(Func<Generator, T> create, ulong seed) => create(new Generator(seed));

    /// <summary>A model initialised after seeding the global generator, for models that take no generator: only for
    /// checks that compare it with a copy of itself, never with another process.</summary>
    private static T Build<T>(Func<T> create, ulong seed)
    {
        lock (s_build)
        {
            Torch.ManualSeed(seed);
            return create();
        }
    }

    // One process's copy of the model DDP now holds (rank 0's values).
    private static Module Replica(Module trained, Func<Module> create)
    {
        var copy = Build(create, seed: 0);
        copy.LoadStateDict(trained.StateDict());
        return copy;
    }

    /// <summary>Uniform inputs in [0, 1) and labels in [0, classes), from <paramref name="seed"/>.</summary>
    private static TensorDataset SyntheticData(int count, int[] sampleShape, int classes, ulong seed)
    {
        var generator = new Generator(seed);
        var inputs = Tensor.Rand(new Shape([count, .. sampleShape]), generator);
        var labels = Tensor.Empty(count);
        for (int i = 0; i < count; i++) labels[i] = generator.NextInt(classes);
        return new TensorDataset(inputs, labels);
    }
}
