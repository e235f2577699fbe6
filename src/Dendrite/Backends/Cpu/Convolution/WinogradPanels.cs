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
                        Transpose8(first + kk, stride, valid, panel + (long)kk * width + g0, width, lanes);
                for (; kk < depth; kk++)
                {
                    float* to = panel + (long)kk * width + g0;
                    for (int r = 0; r < lanes; r++) to[r] = r < valid ? first[(long)r * stride + kk] : 0f;
                }
            }
        }
    }

    /// <summary>dst[q·dstStride + r] = src[r·srcStride + q] for q &lt; 8, r &lt; <paramref name="lanes"/>, rows from
    /// <paramref name="valid"/> on read as 0 (never touched).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8(float* src, int srcStride, int valid, float* dst, int dstStride, int lanes)
    {
        var r0 = valid > 0 ? Avx.LoadVector256(src) : default;
        var r1 = valid > 1 ? Avx.LoadVector256(src + srcStride) : default;
        var r2 = valid > 2 ? Avx.LoadVector256(src + 2L * srcStride) : default;
        var r3 = valid > 3 ? Avx.LoadVector256(src + 3L * srcStride) : default;
        var r4 = valid > 4 ? Avx.LoadVector256(src + 4L * srcStride) : default;
        var r5 = valid > 5 ? Avx.LoadVector256(src + 5L * srcStride) : default;
        var r6 = valid > 6 ? Avx.LoadVector256(src + 6L * srcStride) : default;
        var r7 = valid > 7 ? Avx.LoadVector256(src + 7L * srcStride) : default;
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves (as Gemm.Transpose8x8).
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        StoreFirstLanes(Avx.Permute2x128(u0, u4, 0x20), dst, lanes);
        StoreFirstLanes(Avx.Permute2x128(u1, u5, 0x20), dst + dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u2, u6, 0x20), dst + 2L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u3, u7, 0x20), dst + 3L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u0, u4, 0x31), dst + 4L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u1, u5, 0x31), dst + 5L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u2, u6, 0x31), dst + 6L * dstStride, lanes);
        StoreFirstLanes(Avx.Permute2x128(u3, u7, 0x31), dst + 7L * dstStride, lanes);
    }

    /// <summary>Lanes [0, count) of <paramref name="v"/> at <paramref name="dst"/>, by plain stores (masked stores are
    /// slow on some processors: AMD's microcode them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreFirstLanes(Vector256<float> v, float* dst, int count)
    {
        if (count == 8)
        {
            Vector256.Store(v, dst);
            return;
        }
        var part = v.GetLower();
        if (count >= 4)
        {
            Vector128.Store(part, dst);
            part = v.GetUpper();
            dst += 4;
            count -= 4;
        }
        if (count >= 2)
        {
            Unsafe.WriteUnaligned(dst, part.AsDouble().ToScalar());
            part = Vector128.Shuffle(part, Vector128.Create(2, 3, 0, 1));
            dst += 2;
            count -= 2;
        }
        if (count == 1) *dst = part.ToScalar();
    }
}
