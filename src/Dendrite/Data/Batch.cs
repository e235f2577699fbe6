namespace Dendrite.Data;

/// <summary>
/// One batch as the training loop sees it: one or more inputs (a model with several input tensors gets them all), the
/// targets, and for padded sequences the mask [N, T] (1 for a real step, 0 for padding).
/// </summary>
public sealed record Batch(IReadOnlyList<Tensor> Inputs, Tensor Target, Tensor? Mask = null)
{
    /// <summary>The first (for most models, the only) input.</summary>
    public Tensor Input => Inputs[0];

    /// <summary>Samples in the batch: the targets' first dimension.</summary>
    public int Count => Target.Shape[0];
}
