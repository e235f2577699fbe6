namespace Dendrite.Data;

/// <summary>
/// A shuffled order in which every stretch of the epoch, and so every mini-batch, holds the classes in about their
/// overall proportions: a rare class is spread evenly over the epoch instead of clumping by chance. Each epoch
/// visits every sample once. Within a class the order is random; the class of position p follows from giving the
/// r-th sample (of n) of its class the key (r + u) / n, u uniform in [0, 1), and sorting all keys.
/// </summary>
public sealed class StratifiedSampler(IReadOnlyList<int> labels, ulong seed = 0) : ISampler
{
    private readonly List<List<int>> _byClass = Splits.ByClass(labels);

    public int Count { get; } = labels.Count;
    public ulong Seed { get; } = seed;

    public int[] Order(int epoch)
    {
        var generator = SamplerSeeds.ForEpoch(Seed, epoch);
        var keyed = new List<(double Key, int Index)>(Count);
        foreach (var members in _byClass)
        {
            var shuffled = members.ToArray();
            generator.Shuffle(shuffled.AsSpan());
            for (int r = 0; r < shuffled.Length; r++)
                keyed.Add(((r + generator.NextDouble()) / shuffled.Length, shuffled[r]));
        }
        return [.. keyed.OrderBy(k => k.Key).ThenBy(k => k.Index).Select(k => k.Index)];
    }
}

internal static class SamplerSeeds
{
    /// <summary>One generator per (seed, epoch), mixed as <see cref="DataLoader"/> mixes its shuffle seed.</summary>
    public static Generator ForEpoch(ulong seed, int epoch) => new(seed * 0x9E3779B97F4A7C15UL + (ulong)epoch);
}
