namespace Dendrite.Backends;

/// <summary>The windows of a 2-D pooling over independent planes (one per sample and channel).</summary>
public readonly record struct PoolGeometry
{
    public int Planes { get; init; }
    public int Height { get; init; }
    public int Width { get; init; }
    public int KernelH { get; init; }
    public int KernelW { get; init; }
    public int StrideH { get; init; }
    public int StrideW { get; init; }
    public int PadH { get; init; }
    public int PadW { get; init; }
    public int DilationH { get; init; }
    public int DilationW { get; init; }
    /// <summary>Output size: fixed by the caller, since ceil mode changes it.</summary>
    public int OutHeight { get; init; }
    public int OutWidth { get; init; }

    public int ImageSize => Height * Width;
    public int OutSize => OutHeight * OutWidth;
}
