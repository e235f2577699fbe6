namespace Dendrite.Backends.Cpu;

/// <summary>
/// A 3×3 convolution's weights [K, C, 3, 3] in Winograd's domain, packed as the GEMM's A panels for tile height
/// <see cref="Mr"/> (<see cref="Winograd.Pack"/>), for F(2×2) and, where it fits, F(4×4). A kernel uses them only for
/// the sizes and tile they were made for.
/// </summary>
public sealed class WinogradWeights : PackedWeights
{
    internal WinogradWeights(float[] values, int k, int c, int mr) => (Values, K, C, Mr) = (values, k, c, mr);

    internal float[] Values { get; }
    internal int K { get; }
    internal int C { get; }
    internal int Mr { get; }

    /// <summary>The same weights for F(4×4) (<see cref="Winograd.PackLarge"/>), where that geometry takes it; else null.</summary>
    internal float[]? Large { get; init; }
}
