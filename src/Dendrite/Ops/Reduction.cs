namespace Dendrite;

/// <summary>How a loss turns per-element values into its result, as PyTorch's <c>reduction</c> argument.</summary>
public enum Reduction
{
    /// <summary>The average over elements (or over non-ignored targets).</summary>
    Mean,
    /// <summary>The sum over elements.</summary>
    Sum,
    /// <summary>No reduction: one loss value per element (per sample for class losses).</summary>
    None,
    /// <summary>The sum divided by the batch size (the first dimension): <see cref="F.KLDivLoss"/> only, as in PyTorch.</summary>
    BatchMean,
}
