using ILGPU;

namespace Dendrite.Gpu.Kernels;

internal struct FillArgs { public ArrayView<float> Y; public float Value; }

internal struct BlockArgs
{
    public ArrayView<float> X, Y;
    public int XOffset, XStride, YOffset, YStride, BlockLength;
}

internal struct FillBlocksArgs { public ArrayView<float> Values, Y; public int BlockLength; }

/// <summary>y[i] = x[XBase + map(i).a] (gather) or y[YBase + map(i).a] = x[i] (scatter).</summary>
internal struct MapArgs { public ArrayView<float> X, Y; public IndexMap Map; public int Base; }

internal struct RowsArgs
{
    public ArrayView<float> Table, Y;
    public ArrayView<int> Rows;
    public int RowLength, SkipRow;
}

internal struct OneHotArgs { public ArrayView<float> Indices, Y; public int Classes; }

internal struct FindArgs { public ArrayView<float> X; public ArrayView<int> First; public float Lo, Hi; }

/// <summary>
/// Every GPU kernel of the backend. Each public static method here is a kernel (the PTX test compiles them all):
/// implicitly grouped ones take an <see cref="Index1D"/> first, one thread per output element unless a comment
/// says otherwise; explicitly grouped ones (the tiled GEMM) take only their arguments.
/// </summary>
internal static partial class GpuKernels
{
    public static void Fill(Index1D i, FillArgs a) => a.Y[i] = a.Value;

    public static void CopyBlocks(Index1D i, BlockArgs a)
    {
        int block = i / a.BlockLength, j = i % a.BlockLength;
        a.Y[a.YOffset + block * a.YStride + j] = a.X[a.XOffset + block * a.XStride + j];
    }

    public static void FillBlocks(Index1D i, FillBlocksArgs a) => a.Y[i] = a.Values[i / a.BlockLength];

    public static void Gather(Index1D i, MapArgs a)
    {
        a.Map.Locate(i, out int from, out _);
        a.Y[i] = a.X[a.Base + from];
    }

    public static void Scatter(Index1D i, MapArgs a)
    {
        a.Map.Locate(i, out int to, out _);
        a.Y[a.Base + to] = a.X[i];
    }

    public static void GatherRows(Index1D i, RowsArgs a)
    {
        int row = i / a.RowLength, j = i % a.RowLength;
        a.Y[i] = a.Table[a.Rows[row] * a.RowLength + j];
    }

    /// <summary>One thread per element of dy; repeated rows add atomically (their order is free within float rounding).</summary>
    public static void ScatterAddRows(Index1D i, RowsArgs a)
    {
        int row = i / a.RowLength, j = i % a.RowLength;
        int target = a.Rows[row];
        if (target == a.SkipRow) return;
        Atomic.Add(ref a.Table[target * a.RowLength + j], a.Y[i]);
    }

    public static void OneHot(Index1D i, OneHotArgs a)
    {
        int sample = i / a.Classes, k = i % a.Classes;
        a.Y[i] = k == (int)a.Indices[sample] ? 1f : 0f;
    }

    /// <summary>The smallest index outside [Lo, Hi] (NaN counts) by atomic minimum.</summary>
    public static void FindOutside(Index1D i, FindArgs a)
    {
        float v = a.X[i];
        if (KernelMath.IsNaN(v) || v < a.Lo || v > a.Hi) Atomic.Min(ref a.First[0], (int)i);
    }
}

internal static partial class GpuKernels
{
    public static void Copy(Index1D i, PairArgs a) => a.Y[i] = a.X[i];
}
