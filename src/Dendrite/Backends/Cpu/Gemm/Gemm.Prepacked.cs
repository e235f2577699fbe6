namespace Dendrite.Backends.Cpu;

internal static partial class Gemm
{
    /// <summary>The floats <see cref="PackWholeB"/> writes for an op(B) of <paramref name="k"/> rows and <paramref name="n"/> columns.</summary>
    internal static int PackedBLength(CpuIsa kernel, int k, int n)
    {
        var (_, nr) = TileOf(kernel);
        return (n + nr - 1) / nr * nr * k;
    }

    /// <summary>
    /// Packs all of op(B) [k, n] once, K block after K block (the block starting at depth pc at dst + panels·NR·pc),
    /// for <see cref="MultiplyRowsPrepacked"/>: a B used for many products (a recurrent layer's W_hh, once per time
    /// step) is then packed once rather than once per product.
    /// </summary>
    internal static unsafe void PackWholeB(CpuIsa kernel, bool transB, float* b, int ldb, int k, int n, float* dst)
    {
        var (_, nr) = TileOf(kernel);
        int kBlock = DepthBlock(k), panels = (n + nr - 1) / nr;
        for (int pc = 0; pc < k; pc += kBlock)
        {
            int kc = Math.Min(kBlock, k - pc);
            float* block = dst + (long)panels * nr * pc;
            for (int p = 0; p < panels; p++)
                PackB(transB, b, ldb, pc, kc, p * nr, Math.Min(nr, n - p * nr), nr, block + (long)p * kc * nr);
        }
    }

    /// <summary>
    /// Rows [r0, r1) of C (+)= A · B on the calling thread, A row-major (not transposed), B packed by
    /// <see cref="PackWholeB"/> with the same kernel. The K blocks and micro-kernels are <see cref="Multiply"/>'s, so
    /// each element is summed in the same order as there.
    /// </summary>
    internal static unsafe void MultiplyRowsPrepacked(CpuIsa kernel, int r0, int r1, int n, int k, float* a, int lda,
        float* packedB, float* c, int ldc, bool accumulate)
    {
        var (mr, nr) = TileOf(kernel);
        int kBlock = DepthBlock(k), panels = (n + nr - 1) / nr;
        var local = t_packA ??= GC.AllocateUninitializedArray<float>(MCMax * KCMax, pinned: true);
        float* tile = stackalloc float[TileScratch];
        fixed (float* blockA = local)
        {
            for (int pc = 0; pc < k; pc += kBlock)
            {
                int kc = Math.Min(kBlock, k - pc);
                bool acc = accumulate || pc > 0;
                float* blockB = packedB + (long)panels * nr * pc;
                for (int i0 = r0; i0 < r1; i0 += MCMax)
                {
                    int iEnd = Math.Min(r1, i0 + MCMax);
                    for (int i = i0; i < iEnd; i += mr)
                        PackA(false, a, lda, i, pc, Math.Min(mr, iEnd - i), kc, mr, blockA + (long)(i - i0) * kc);
                    ComputeBlock(kernel, kc, blockA - (long)i0 * kc, blockB, c, ldc, r1, n, mr, nr, i0, iEnd, 0, panels, acc, tile);
                }
            }
        }
    }
}
