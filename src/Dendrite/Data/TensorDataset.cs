namespace Dendrite.Data;

/// <summary>Samples are the rows (dimension 0) of an input tensor and a target tensor of equal length.</summary>
public sealed class TensorDataset : IDataset
{
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        if (inputs.Rank == 0 || targets.Rank == 0 || inputs.Shape[0] != targets.Shape[0])
            throw new ShapeMismatchException($"TensorDataset: inputs {inputs.Shape} and targets {targets.Shape} must have the same size in dimension 0.");
        Inputs = inputs;
        Targets = targets;
    }

    public Tensor Inputs { get; }
    public Tensor Targets { get; }
    public int Count => Inputs.Shape[0];

    public (Tensor Input, Tensor Target) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new IndexOutOfRangeException($"TensorDataset: index {index} is out of range for {Count} samples.");
            var x = Inputs.RowView(index, 1);
            var y = Targets.RowView(index, 1);
            return (x.ViewAs(new Shape(Inputs.Shape.AsSpan()[1..])), y.ViewAs(new Shape(Targets.Shape.AsSpan()[1..])));
        }
    }

    public (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices) => (Gather(Inputs, indices), Gather(Targets, indices));

    private Tensor Gather(Tensor source, ReadOnlySpan<int> indices)
    {
        var dims = source.Shape.ToArray();
        dims[0] = indices.Length;
        var batch = Tensor.Empty(dims);
        int row = source.Shape.Product(1, source.Rank);
        var src = source.Data;
        var dst = batch.Data;
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)Count) throw new IndexOutOfRangeException($"TensorDataset: index {indices[i]} is out of range for {Count} samples.");
            src.Slice(indices[i] * row, row).CopyTo(dst.Slice(i * row, row));
        }
        return batch;
    }

    /// <summary>The first <paramref name="count"/> samples (a view, no copy).</summary>
    public TensorDataset Take(int count) => new(Inputs.RowView(0, Math.Min(count, Count)), Targets.RowView(0, Math.Min(count, Count)));
}
