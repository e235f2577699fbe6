namespace Dendrite.Data;

/// <summary>
/// Draws <see cref="Count"/> indices per epoch, index i with probability weights[i] / Σ weights, as PyTorch's
/// <c>WeightedRandomSampler</c>: with replacement by default (an index may come several times), or without
/// (then each draw is among the indices not drawn yet). The usual use is to rebalance classes; see
/// <see cref="BalancedWeights"/>.
/// </summary>
public sealed class WeightedRandomSampler : ISampler
{
    private readonly double[] _cumulative;
    private readonly double[] _weights;

    /// <exception cref="ArgumentException">A weight is negative or not finite, all are 0, or more samples than positive
    /// weights are asked for without replacement.</exception>
    public WeightedRandomSampler(IReadOnlyList<double> weights, int count, bool replacement = true, ulong seed = 0)
    {
        if (weights.Any(w => !(w >= 0) || double.IsInfinity(w)))
            throw new ArgumentException("WeightedRandomSampler: every weight must be finite and >= 0.", nameof(weights));
        int positive = weights.Count(w => w > 0);
        if (positive == 0) throw new ArgumentException("WeightedRandomSampler: at least one weight must be positive.", nameof(weights));
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count),
            $"WeightedRandomSampler: count must be >= 0, got {count}.");
        if (!replacement && count > positive)
            throw new ArgumentException(
                $"WeightedRandomSampler: {count} samples without replacement, but only {positive} weights are " +
                $"positive.", nameof(count));
        _weights = [.. weights];
        _cumulative = new double[_weights.Length];
        double sum = 0;
        for (int i = 0; i < _weights.Length; i++) _cumulative[i] = sum += _weights[i];
        (Count, Replacement, Seed) = (count, replacement, seed);
    }

    public int Count { get; }
    public bool Replacement { get; }
    public ulong Seed { get; }

    /// <summary>
    /// Weights 1 / (samples of its class) for each sample, so every class is drawn equally often on average.
    /// </summary>
    public static double[] BalancedWeights(IReadOnlyList<int> labels)
    {
        var counts = new Dictionary<int, int>();
        foreach (int label in labels) counts[label] = counts.GetValueOrDefault(label) + 1;
        return [.. labels.Select(label => 1.0 / counts[label])];
    }

    public int[] Order(int epoch)
    {
        var generator = SamplerSeeds.ForEpoch(Seed, epoch);
        var order = new int[Count];
        if (Replacement)
        {
            double total = _cumulative[^1];
            for (int k = 0; k < Count; k++)
            {
                int i = _cumulative.AsSpan().BinarySearch(generator.NextDouble() * total);
                // BinarySearch gives ~(first larger) when there is no exact hit; a hit on a boundary belongs to the
                // next index.
                i = i < 0 ? ~i : i + 1;
                // Zero-weight indices share their boundary with the one before; skip them.
                while (i < _weights.Length - 1 && _weights[i] == 0) i++;
                order[k] = Math.Min(i, _weights.Length - 1);
            }
            return order;
        }
        // Without replacement: Efraimidis and Spirakis (2006), the k largest keys u^(1/w) are a weighted sample of k.
        var keys = new (double Key, int Index)[_weights.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            double u = generator.NextDouble();
            keys[i] = (_weights[i] > 0 ? Math.Log(u) / _weights[i] : double.NegativeInfinity, i);
        }
        Array.Sort(keys, (a, b) => b.Key != a.Key ? b.Key.CompareTo(a.Key) : a.Index.CompareTo(b.Index));
        for (int k = 0; k < Count; k++) order[k] = keys[k].Index;
        return order;
    }
}
