using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Training;

/// <summary>
/// Leslie Smith's learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks"), as
/// fastai's <c>lr_find</c>: trains for up to <c>steps</c> batches while the learning rate grows exponentially from
/// <c>startLr</c> to <c>endLr</c>, records a smoothed loss at each, and stops once it exceeds <c>divergence</c> times
/// the best. The model's weights and buffers, the optimiser's state and learning rates, the mode and the default
/// generator are put back afterwards, so training starts from where it was.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>Runs the range test on <paramref name="data"/> (shuffled with <paramref name="seed"/>, cycled as needed).</summary>
    /// <param name="smoothing">β of the loss's exponential moving average, debiased as fastai's: s = avg / (1 − βᵗ).</param>
    /// <exception cref="ArgumentOutOfRangeException">A rate is not positive, endLr ≤ startLr, steps &lt; 2, β outside [0, 1).</exception>
    public static LrFinderResult FindLearningRate(this Module model, IDataset data, Optimizer optimizer, LossFunction loss,
        double startLr = 1e-7, double endLr = 10, int steps = 100, int batchSize = 32, double smoothing = 0.98,
        double divergence = 4, ulong seed = 0)
    {
        if (!(startLr > 0) || !double.IsFinite(startLr))
            throw new ArgumentOutOfRangeException(nameof(startLr), $"FindLearningRate: startLr must be a finite number > 0, got {startLr}.");
        if (!(endLr > startLr) || !double.IsFinite(endLr))
            throw new ArgumentOutOfRangeException(nameof(endLr), $"FindLearningRate: endLr must be finite and above startLr {startLr}, got {endLr}.");
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), $"FindLearningRate: steps must be >= 2, got {steps}.");
        if (!(smoothing >= 0 && smoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(smoothing), $"FindLearningRate: smoothing must be in [0, 1), got {smoothing}.");
        if (!(divergence > 1)) throw new ArgumentOutOfRangeException(nameof(divergence), $"FindLearningRate: divergence must be > 1, got {divergence}.");
        if (data.Count == 0) throw new ArgumentException("FindLearningRate: the dataset is empty.", nameof(data));

        var saved = Snapshot.Take(model, optimizer);
        var lrs = new List<double>();
        var losses = new List<double>();
        try
        {
            model.Train();
            var loader = new DataLoader(data, batchSize, shuffle: true, seed: seed, recycle: true);
            var collate = Trainer.Collator(data);
            double average = 0, best = double.PositiveInfinity;
            int i = 0;
            while (i < steps)
            {
                foreach (var batch in loader.Batches(collate))
                {
                    double lr = startLr * Math.Pow(endLr / startLr, (double)i / steps);   // fastai: position i / num_it
                    foreach (var group in optimizer.ParamGroups) group.Lr = (float)lr;
                    var l = loss(Trainer.Forward(model, batch), batch.Target);
                    double value = l.Item();
                    if (!double.IsFinite(value)) return new LrFinderResult(lrs, losses);
                    optimizer.ZeroGrad();
                    l.Backward();
                    optimizer.Step();
                    i++;
                    average = smoothing * average + (1 - smoothing) * value;
                    double smoothed = average / (1 - Math.Pow(smoothing, i));
                    lrs.Add(lr);
                    losses.Add(smoothed);
                    best = Math.Min(best, smoothed);
                    if (smoothed > divergence * best || i >= steps) return new LrFinderResult(lrs, losses);
                }
            }
            return new LrFinderResult(lrs, losses);
        }
        finally
        {
            saved.Restore(model, optimizer);
        }
    }

    /// <summary>What the test changes, copied before it and put back after.</summary>
    private sealed record Snapshot(float[][] State, float[] Lrs, Dictionary<Parameter, (int Step, float[]?[] Buffers)> OptimizerState,
        bool Training, ulong[] Generator)
    {
        public static Snapshot Take(Module model, Optimizer optimizer) => new(
            [.. model.StateDict().Values.Select(t => t.ToArray())],
            [.. optimizer.ParamGroups.Select(g => g.Lr)],
            optimizer.State().ToDictionary(kv => kv.Key, kv => (kv.Value.Step, Copy(kv.Value.Buffers)),
                (IEqualityComparer<Parameter>)ReferenceEqualityComparer.Instance),
            model.Training,
            Dendrite.Generator.Default.GetState());

        /// <summary>Copies, since a host buffer comes back as the optimiser's own array.</summary>
        private static float[]?[] Copy(float[][] buffers) => [.. buffers.Select(b => (float[]?)b?.ToArray())];

        public void Restore(Module model, Optimizer optimizer)
        {
            int k = 0;
            foreach (var tensor in model.StateDict().Values) tensor.CopyFrom(State[k++]);
            for (int g = 0; g < Lrs.Length; g++) optimizer.ParamGroups[g].Lr = Lrs[g];
            foreach (var p in optimizer.ParamGroups.SelectMany(g => g.Params))
            {
                if (OptimizerState.TryGetValue(p, out var s)) optimizer.SetState(p, s.Step, s.Buffers);
                else optimizer.SetState(p, 0, new float[]?[optimizer.StateBufferCount]);   // as if never stepped
            }
            model.Train(Training);
            Dendrite.Generator.Default.SetState(Generator);
        }
    }
}

/// <summary>
/// The range test's learning rates and smoothed losses, in order, and fastai's two suggestions. Both skip the first
/// tenth of the points and the last five, as fastai does, when there are enough.
/// </summary>
public sealed record LrFinderResult(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses)
{
    /// <summary>The rate where the loss falls fastest against log(lr): argmin of Δloss / Δlog(lr) (fastai's <c>steep</c>).</summary>
    public double Steepest
    {
        get
        {
            var (lrs, losses) = Window();
            if (lrs.Length < 2) return double.NaN;
            int best = 0;
            double steepest = double.PositiveInfinity;
            for (int i = 0; i + 1 < lrs.Length; i++)
            {
                double slope = (losses[i + 1] - losses[i]) / (Math.Log(lrs[i + 1]) - Math.Log(lrs[i]));
                if (slope < steepest) (steepest, best) = (slope, i);
            }
            return lrs[best];
        }
    }

    /// <summary>A tenth of the rate with the lowest loss (fastai's <c>minimum</c>).</summary>
    public double MinimumOver10
    {
        get
        {
            var (lrs, losses) = Window();
            if (lrs.Length == 0) return double.NaN;
            int best = 0;
            for (int i = 1; i < losses.Length; i++) if (losses[i] < losses[best]) best = i;
            return lrs[best] / 10;
        }
    }

    private (double[] Lrs, double[] Losses) Window()
    {
        int n = LearningRates.Count;
        int skipStart = n / 10, skipEnd = 5;
        if (n - skipStart - skipEnd < 2) (skipStart, skipEnd) = (0, 0);
        return ([.. LearningRates.Skip(skipStart).Take(n - skipStart - skipEnd)], [.. Losses.Skip(skipStart).Take(n - skipStart - skipEnd)]);
    }
}
