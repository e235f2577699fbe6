namespace Dendrite.Data;

/// <summary>
/// The order in which a <see cref="DataLoader"/> visits samples, one epoch at a time (PyTorch's <c>Sampler</c>). An
/// order depends only on the sampler's seed and the epoch number, so runs repeat exactly and resume mid-way.
/// </summary>
public interface ISampler
{
    /// <summary>Samples per epoch (the length of each order).</summary>
    int Count { get; }

    /// <summary>
    /// The dataset indices to visit in <paramref name="epoch"/> (0-based), in order; may repeat indices.
    /// </summary>
    int[] Order(int epoch);
}
