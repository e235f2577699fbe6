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

    /// <summary>This batch with every tensor on <paramref name="device"/> (itself when they all are there already).</summary>
    public Batch To(Device device)
    {
        bool there = Target.Device == device && (Mask is null || Mask.Device == device);
        for (int i = 0; i < Inputs.Count && there; i++) there = Inputs[i].Device == device;   // no LINQ: once per step
        if (there) return this;
        return new Batch([.. Inputs.Select(x => x.To(device))], Target.To(device), Mask?.To(device));
    }
}
