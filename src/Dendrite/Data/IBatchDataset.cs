namespace Dendrite.Data;

/// <summary>
/// A dataset whose batches carry more than one input and target: several input tensors
/// (<see cref="MultiInputDataset"/>) or padded sequences with their mask (<see cref="SequenceDataset"/>).
/// <c>Fit</c> and <c>Evaluate</c> take their batches from <see cref="BatchOf"/>; <see cref="IDataset.GetBatch"/> still
/// gives the first input and the targets.
/// </summary>
public interface IBatchDataset : IDataset
{
    /// <summary>The samples at <paramref name="indices"/> as one batch, with every input and the mask if any.</summary>
    Batch BatchOf(ReadOnlySpan<int> indices);
}
