using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// The weight gradient's 16 products, dU_e [K, C] (+)= M_e [K, tiles] · V_eᵀ [tiles, C]: both operands lie as the
/// transforms write them, a row of tiles per channel, so both are packed transposed (tiles become the GEMM's depth).
/// Layouts: src row r at src + r·stride, depth index along the row; packed panel q (rows [q·W, q·W + W)) at
/// dst + q·W·depth, element [kk·W + r], zero for rows past the last.
/// </summary>
internal static partial class Winograd
{
    /// <summary>
    /// dU (+)= M · Vᵀ for one of the 16 products, on the calling thread, packed here and multiplied by
    /// <see cref="Gemm.MultiplyPacked"/> with <see cref="Gemm.Multiply"/>'s K blocks, so every sum runs in the order
    /// <c>Gemm.Multiply(false, true, …)</c> gives it, to the bit. Packing by 8×8 register transposes matters for the
    /// AVX2 tile: its 6-row A panels have no vector path in the GEMM's own packing, where the weight gradient spent more
    /// time packing than multiplying.
    /// </summary>
    /// <param name="packA">Scratch for <see cref="PackedRows"/>(k, MR, tiles) floats; <paramref name="packB"/> for
    /// PackedRows(c, NR, tiles).</param>
    internal static unsafe void MultiplyWeightProduct(CpuIsa kernel, int k, int c, int tiles, float* m, float* v, int stride,
        float* du, bool accumulate, float* packA, float* packB)
    {
        var (mr, nr) = Gemm.TileOf(kernel);
        int block = Gemm.DepthBlock(tiles), panelsB = (c + nr - 1) / nr;
        for (int k0 = 0; k0 < tiles; k0 += block)
        {
            int kc = Math.Min(block, tiles - k0);
            PackTransposed(m + k0, stride, k, kc, mr, packA);
            PackTransposed(v + k0, stride, c, kc, nr, packB);
            Gemm.MultiplyPacked(kernel, k, c, kc, packA, packB, 0, panelsB, du, c, accumulate || k0 > 0);
        }
    }

    /// <summary>Floats of one K block of <paramref name="rows"/> rows packed <paramref name="width"/> to a panel.</summary>
    internal static int PackedRows(int rows, int width, int tiles) => (rows + width - 1) / width * width * Gemm.DepthBlock(tiles);

    /// <summary>Rows [0, rows) × depth [0, depth) of src (row r at src + r·stride) packed into <paramref name="width"/>-row
    /// panels, k-major (see the class remarks); 8 rows × 8 depths at a time through registers.</summary>
    internal static unsafe void PackTransposed(float* src, int stride, int rows, int depth, int width, float* dst)
    {
        for (int r0 = 0; r0 < rows; r0 += width)
        {
            float* panel = dst + (long)r0 * depth;
            for (int g0 = 0; g0 < width; g0 += 8)
            {
                int lanes = Math.Min(8, width - g0), valid = Math.Clamp(rows - r0 - g0, 0, lanes);
                float* first = src + (long)(r0 + g0) * stride;
                int kk = 0;
                if (Avx.IsSupported)
                    for (; kk + 8 <= depth; kk += 8)
                        Gemm.TransposeRows8(first + kk, stride, valid, panel + (long)kk * width + g0, width, lanes);
                for (; kk < depth; kk++)
                {
                    float* to = panel + (long)kk * width + g0;
                    for (int r = 0; r < lanes; r++) to[r] = r < valid ? first[(long)r * stride + kk] : 0f;
                }
            }
        }
    }
}
