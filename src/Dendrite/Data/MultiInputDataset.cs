namespace Dendrite.Data;

/// <summary>
/// Samples are the rows of several input tensors and one target tensor, all of equal length (PyTorch's
/// <c>TensorDataset(x1, x2, y)</c>): for models that take more than one input, such as an image and a table of
/// measurements side by side.
/// </summary>
public sealed class MultiInputDataset : IBatchDataset
{
    private readonly TensorDataset[] _parts;

    /// <exception cref="ShapeMismatchException">No inputs, or an input's first dimension differs from the targets'.</exception>
    public MultiInputDataset(IReadOnlyList<Tensor> inputs, Tensor targets)
    {
        if (inputs.Count == 0) throw new ArgumentException("MultiInputDataset: give at least one input tensor.", nameof(inputs));
        _parts = new TensorDataset[inputs.Count];
        for (int k = 0; k < inputs.Count; k++)
        {
            if (inputs[k].Rank == 0 || targets.Rank == 0 || inputs[k].Shape[0] != targets.Shape[0])
                throw new ShapeMismatchException(
                    $"MultiInputDataset: input {k} {inputs[k].Shape} and targets {targets.Shape} must have the same size in dimension 0.");
            _parts[k] = new TensorDataset(inputs[k], targets);
        }
        Inputs = [.. inputs];
        Targets = targets;
    }

    public IReadOnlyList<Tensor> Inputs { get; }
    public Tensor Targets { get; }
    public int Count => Targets.Shape[0];

    /// <summary>Sample <paramref name="index"/>'s first input and its target (<see cref="BatchOf"/> gives every input).</summary>
    public (Tensor Input, Tensor Target) this[int index] => _parts[0][index];

    /// <summary>The first input and the targets of a batch (<see cref="BatchOf"/> gives every input).</summary>
    public (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices) => _parts[0].GetBatch(indices);

    public Batch BatchOf(ReadOnlySpan<int> indices)
    {
        var inputs = new Tensor[_parts.Length];
        Tensor? targets = null;
        for (int k = 0; k < _parts.Length; k++)
        {
            var (x, y) = _parts[k].GetBatch(indices);
            inputs[k] = x;
            targets ??= y;
        }
        return new Batch(inputs, targets!);
    }
}
