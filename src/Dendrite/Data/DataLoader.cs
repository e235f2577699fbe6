using System.Collections;

namespace Dendrite.Data;

/// <summary>
/// Mini-batches over a dataset, as <c>torch.utils.data.DataLoader</c>: each enumeration is one epoch, reshuffled when
/// <see cref="Shuffle"/> is set. The order comes from the seed and the epoch number only, so runs repeat exactly.
/// </summary>
public sealed class DataLoader : IEnumerable<(Tensor Input, Tensor Target)>
{
    private int _epoch;

    /// <param name="recycle">
    /// Open a <see cref="TensorScope"/> around each iteration: the batch and every tensor the loop body creates give
    /// their storage back when the loop moves to the next batch, so a training loop takes no fresh memory after its
    /// first step. Tensors from an iteration must then not be kept past it (read values out, or clone them).
    /// </param>
    public DataLoader(IDataset dataset, int batchSize = 1, bool shuffle = false, ulong seed = 0, bool dropLast = false,
        bool recycle = false)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batchSize must be >= 1, got {batchSize}.");
        (Dataset, BatchSize, Shuffle, Seed, DropLast, Recycle) = (dataset, batchSize, shuffle, seed, dropLast, recycle);
    }

    /// <summary>Whether each iteration runs in its own <see cref="TensorScope"/> (see the constructor).</summary>
    public bool Recycle { get; }

    public IDataset Dataset { get; }
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public ulong Seed { get; }
    public bool DropLast { get; }

    /// <summary>
    /// In data-parallel training, this rank's part of every epoch (see <see cref="DataShard"/>); null (the default)
    /// gives the whole epoch.
    /// </summary>
    public DataShard? Shard { get; init; }

    /// <summary>Epochs started so far; the next enumeration uses this number to pick its order. Settable for resuming.</summary>
    public int Epoch
    {
        get => _epoch;
        set => _epoch = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Batches per epoch (of this rank's part when <see cref="Shard"/> is set).</summary>
    public int Count => DropLast ? Samples / BatchSize : (Samples + BatchSize - 1) / BatchSize;

    private int Samples => Shard is { } shard ? shard.SamplesPerRank(Dataset.Count) : Dataset.Count;

    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        int[] order = new int[Dataset.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (Shuffle) new Generator(Seed * 0x9E3779B97F4A7C15UL + (ulong)_epoch).Shuffle(order.AsSpan());
        _epoch++;
        if (Shard is { } shard) order = shard.Select(order);
        int batches = Count;
        TensorScope? scope = null;
        try
        {
            for (int b = 0; b < batches; b++)
            {
                scope?.Dispose(); // the previous iteration is over: its tensors give their storage back
                scope = Recycle ? TensorScope.Begin() : null;
                int start = b * BatchSize;
                int length = Math.Min(BatchSize, order.Length - start);
                yield return Dataset.GetBatch(order.AsSpan(start, length));
            }
        }
        finally
        {
            scope?.Dispose();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
