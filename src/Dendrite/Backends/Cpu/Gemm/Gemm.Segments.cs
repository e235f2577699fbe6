namespace Dendrite.Backends.Cpu;

internal static partial class Gemm
{
    /// <summary>
    /// Packs op(A) = [A_0 | A_1 | …]ᵀ for <see cref="MultiplySegmentsPacked"/>: A_s [rows, m] (row stride lda) starts at
    /// a + s·segmentStride, and its transpose fills depth [s·rows, (s + 1)·rows) of the MR-tall panels (panel p at
    /// dst + p·MR·segments·rows, missing rows zero). The whole depth is one K block, so at most <see cref="KCMax"/>.
    /// </summary>
    internal static unsafe void PackTransposedSegments(CpuIsa kernel, float* a, int lda, long segmentStride, int segments, int rows,
        int m, float* dst)
    {
        var (mr, _) = TileOf(kernel);
        int depth = segments * rows;
        if (depth > KCMax) throw new ArgumentException($"Gemm: {segments} segments of {rows} rows exceed one K block ({KCMax}).");
        for (int i0 = 0; i0 < m; i0 += mr)
        {
            // Panel by panel: a panel reads 8 floats of each of its rows, and the next panel the rest of the same cache
            // lines, which (a few KB of them) are still in L1.
            float* panel = dst + (long)i0 * depth;
            for (int s = 0; s < segments; s++)
                PackA(true, a + s * segmentStride, lda, i0, 0, Math.Min(mr, m - i0), rows, mr, panel + (long)s * rows * mr);
        }
    }

    /// <summary>
    /// C[m, n] (+)= Σ_s A_sᵀ·B_s on the calling thread, with A packed by <see cref="PackTransposedSegments"/> and
    /// B_s [rows, n] (row stride ldb) at b + s·segmentStride; <paramref name="packedB"/> is scratch for
    /// ⌈n/NR⌉·NR·segments·rows floats. Each element of C gets one sum over the whole depth, segment after segment, then
    /// is added to C (or replaces it): the order depends on the segments alone.
    /// </summary>
    internal static unsafe void MultiplySegmentsPacked(CpuIsa kernel, float* packedA, int m, float* b, int ldb, long segmentStride,
        int segments, int rows, int n, float* packedB, float* c, int ldc, bool accumulate)
    {
        var (mr, nr) = TileOf(kernel);
        int depth = segments * rows, panels = (n + nr - 1) / nr;
        for (int p = 0; p < panels; p++)
        {
            float* panel = packedB + (long)p * depth * nr;
            for (int s = 0; s < segments; s++)
                PackB(false, b + s * segmentStride, ldb, 0, rows, p * nr, Math.Min(nr, n - p * nr), nr, panel + (long)s * rows * nr);
        }
        float* tile = stackalloc float[TileScratch];
        ComputeBlock(kernel, depth, packedA, packedB, c, ldc, m, n, mr, nr, 0, m, 0, panels, accumulate, tile);
    }

    /// <summary>The floats <see cref="PackTransposedSegments"/> writes for <paramref name="m"/> rows of op(A) and a depth.</summary>
    internal static int PackedALength(CpuIsa kernel, int m, int depth)
    {
        var (mr, _) = TileOf(kernel);
        return (m + mr - 1) / mr * mr * depth;
    }
}
