namespace Dendrite.Data;

/// <summary>
/// Indexed samples of (input, target), as <c>torch.utils.data.Dataset</c>. <see cref="GetBatch"/> gathers many at once
/// so loaders copy rows instead of building one tensor per sample.
/// </summary>
public interface IDataset
{
    int Count { get; }

    /// <summary>One sample: its input and target, without a batch dimension.</summary>
    (Tensor Input, Tensor Target) this[int index] { get; }

    /// <summary>The samples at <paramref name="indices"/> stacked along a new first dimension.</summary>
    (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices);
}
