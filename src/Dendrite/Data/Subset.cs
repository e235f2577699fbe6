namespace Dendrite.Data;

/// <summary>
/// The samples of <see cref="Dataset"/> at <see cref="Indices"/>, in that order, as <c>torch.utils.data.Subset</c>:
/// a view that copies nothing until a batch is taken. <see cref="Splits"/> returns these.
/// </summary>
public sealed class Subset : IBatchDataset
{
    private readonly int[] _indices;

    /// <exception cref="IndexOutOfRangeException">An index is outside the dataset.</exception>
    public Subset(IDataset dataset, IReadOnlyList<int> indices)
    {
        Dataset = dataset;
        _indices = [.. indices];
        foreach (int i in _indices)
            if ((uint)i >= (uint)dataset.Count)
                throw new IndexOutOfRangeException(
                    $"Subset: index {i} is out of range for a dataset of {dataset.Count} samples.");
    }

    public IDataset Dataset { get; }

    /// <summary>Position k of the subset is sample Indices[k] of <see cref="Dataset"/>.</summary>
    public IReadOnlyList<int> Indices => _indices;

    public int Count => _indices.Length;

    public (Tensor Input, Tensor Target) this[int index] =>
        (uint)index < (uint)Count ? Dataset[_indices[index]]
            : throw new IndexOutOfRangeException($"Subset: index {index} is out of range for {Count} samples.");

    /// <summary>
    /// Every sample of the subset, in order, as one input and one target tensor (what a standardiser fits on).
    /// </summary>
    public (Tensor Inputs, Tensor Targets) ToTensors() => Dataset.GetBatch(_indices);

    public (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices) => Dataset.GetBatch(Map(indices));

    /// <summary>The underlying dataset's batch, with all its inputs and its mask when it has them.</summary>
    public Batch BatchOf(ReadOnlySpan<int> indices)
    {
        var mapped = Map(indices);
        if (Dataset is IBatchDataset rich) return rich.BatchOf(mapped);
        var (x, y) = Dataset.GetBatch(mapped);
        return new Batch([x], y);
    }

    private int[] Map(ReadOnlySpan<int> indices)
    {
        var mapped = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
            mapped[k] = (uint)indices[k] < (uint)Count ? _indices[indices[k]]
                : throw new IndexOutOfRangeException(
                    $"Subset: index {indices[k]} is out of range for {Count} samples.");
        return mapped;
    }
}
