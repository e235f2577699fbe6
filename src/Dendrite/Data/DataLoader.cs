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
    /// <param name="sampler">
    /// Chooses each epoch's sample order instead of <paramref name="shuffle"/> (PyTorch's <c>sampler</c>; the two
    /// exclude each other): <see cref="WeightedRandomSampler"/>, <see cref="StratifiedSampler"/> or your own.
    /// </param>
    /// <param name="prefetch">
    /// Build batch b + 1 on a worker thread while the loop body works on batch b (PyTorch's worker prefetching, one
    /// batch ahead). Batches come in the same order with the same values: one batch is built at a time, so a
    /// dataset's own random generator (an augmentation's) is drawn in the same sequence. A dataset must then not draw
    /// from a generator the loop body also uses (<see cref="Generator.Default"/>, which Dropout uses), and must
    /// tolerate being read from another thread.
    /// </param>
    public DataLoader(IDataset dataset, int batchSize = 1, bool shuffle = false, ulong seed = 0, bool dropLast = false,
        bool recycle = false, ISampler? sampler = null, bool prefetch = false)
    {
        Prefetch = prefetch;
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batchSize must be >= 1, got {batchSize}.");
        if (sampler is not null && shuffle)
            throw new ArgumentException("DataLoader: pass either shuffle: true or a sampler, not both (the sampler decides the order).", nameof(sampler));
        (Dataset, BatchSize, Shuffle, Seed, DropLast, Recycle, Sampler) = (dataset, batchSize, shuffle, seed, dropLast, recycle, sampler);
    }

    /// <summary>The sampler that orders each epoch, or null for the dataset's order (shuffled when <see cref="Shuffle"/>).</summary>
    public ISampler? Sampler { get; }

    /// <summary>Whether the next batch is built on a worker thread while this one is used (see the constructor).</summary>
    public bool Prefetch { get; }

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
    // In 64 bits: Samples + BatchSize − 1 wraps negative for a batch size near int.MaxValue (zero batches, an untrained model).
    public int Count => DropLast ? Samples / BatchSize : (int)(((long)Samples + BatchSize - 1) / BatchSize);

    private int Samples => Shard is { } shard ? shard.SamplesPerRank(SamplesPerEpoch) : SamplesPerEpoch;

    private int SamplesPerEpoch => Sampler?.Count ?? Dataset.Count;

    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator() => Batches(Dataset.GetBatch).GetEnumerator();

    /// <summary>
    /// One epoch of batches built by <paramref name="collate"/> from each batch's dataset indices, in the order, with
    /// the epoch counting and the recycling that enumerating the loader itself has (PyTorch's <c>collate_fn</c>): for
    /// batches richer than (input, target), such as <see cref="SequenceDataset.Collate"/>'s padded inputs with masks.
    /// </summary>
    public IEnumerable<TBatch> Batches<TBatch>(BatchCollator<TBatch> collate)
    {
        int[] order = Sampler?.Order(_epoch) ?? new int[Dataset.Count];
        if (Sampler is null)
            for (int i = 0; i < order.Length; i++) order[i] = i;
        if (Shuffle) new Generator(Seed * 0x9E3779B97F4A7C15UL + (ulong)_epoch).Shuffle(order.AsSpan());
        _epoch++;
        if (Shard is { } shard) order = shard.Select(order);
        int batches = Count;
        TensorScope? scope = null;
        Task<(TBatch Batch, float[][] Rented)>? next = Prefetch && batches > 0 ? BuildAhead(collate, order, 0) : null;
        try
        {
            for (int b = 0; b < batches; b++)
            {
                scope?.Dispose(); // the previous iteration is over: its tensors give their storage back
                scope = Recycle ? TensorScope.Begin() : null;
                if (next is null)
                {
                    int start = b * BatchSize;
                    yield return collate(order.AsSpan(start, Math.Min(BatchSize, order.Length - start)));
                    continue;
                }
                var (batch, rented) = next.GetAwaiter().GetResult();
                next = b + 1 < batches ? BuildAhead(collate, order, b + 1) : null;
                scope?.Adopt(rented);
                yield return batch;
            }
        }
        finally
        {
            scope?.Dispose();
            if (next is not null) Abandon(next);
        }
    }

    /// <summary>Starts building batch <paramref name="b"/> on a worker thread, in a scope of its own when recycling.</summary>
    private Task<(TBatch Batch, float[][] Rented)> BuildAhead<TBatch>(BatchCollator<TBatch> collate, int[] order, int b) =>
        Task.Run(() =>
        {
            var scope = Recycle ? TensorScope.Begin() : null;
            try
            {
                int start = b * BatchSize;
                var batch = collate(order.AsSpan(start, Math.Min(BatchSize, order.Length - start)));
                return (batch, scope?.Detach() ?? []);
            }
            catch
            {
                scope?.Dispose();
                throw;
            }
        });

    /// <summary>A batch built ahead that the loop did not reach (it stopped early): its storage goes back to the pool.</summary>
    private static void Abandon<TBatch>(Task<(TBatch Batch, float[][] Rented)> pending)
    {
        try
        {
            TensorScope.Release(pending.GetAwaiter().GetResult().Rented);
        }
        catch (Exception)
        {
            // The loop is already ending (perhaps with its own exception); a failure building a batch nobody asked for
            // is not news worth replacing that with.
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
