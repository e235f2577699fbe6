namespace Dendrite.Backends.Cpu;

/// <summary>
/// A 3×3 convolution's weights [K, C, 3, 3] in Winograd's domain, packed as the GEMM's A panels for tile height
/// <see cref="Mr"/> (<see cref="Winograd.Pack"/>). A kernel uses them only for the sizes and tile they were made for.
/// </summary>
public sealed class WinogradWeights : PackedWeights
{
    internal WinogradWeights(float[] values, int k, int c, int mr) => (Values, K, C, Mr) = (values, k, c, mr);

    internal float[] Values { get; }
    internal int K { get; }
    internal int C { get; }
    internal int Mr { get; }
}
