namespace Dendrite.Data;

/// <summary>
/// One rank's part of every epoch in data-parallel training, as PyTorch's <c>DistributedSampler</c>: the epoch's order
/// (the same on every rank: same seed, same epoch) is padded by repeating its start to a multiple of
/// <see cref="WorldSize"/>, and rank r takes positions r, r + WorldSize, r + 2·WorldSize… So the ranks' parts are
/// disjoint apart from the padding and equal in size, and batch b of every rank together holds the samples of batch b
/// of one process whose batch is WorldSize times larger.
/// </summary>
public readonly record struct DataShard
{
    public DataShard(int rank, int worldSize)
    {
        if (worldSize < 1)
            throw new ArgumentOutOfRangeException(nameof(worldSize),
                $"DataShard: worldSize must be >= 1, got {worldSize}.");
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank),
                $"DataShard: rank must be in [0, {worldSize}), got {rank}.");
        (Rank, WorldSize) = (rank, worldSize);
    }

    public int Rank { get; }
    public int WorldSize { get; }

    /// <summary>Samples a rank gets of an epoch of <paramref name="count"/>: count / WorldSize, rounded up.</summary>
    public int SamplesPerRank(int count) => (count + WorldSize - 1) / WorldSize;

    /// <summary>This rank's part of <paramref name="order"/> (see the type's summary).</summary>
    public int[] Select(ReadOnlySpan<int> order)
    {
        var part = new int[SamplesPerRank(order.Length)];
        // Position p of the padded order is order[p mod Length]: padding repeats the start, as DistributedSampler does.
        for (int i = 0; i < part.Length; i++) part[i] = order[(Rank + i * WorldSize) % order.Length];
        return part;
    }

    public override string ToString() => $"rank {Rank} of {WorldSize}";
}
