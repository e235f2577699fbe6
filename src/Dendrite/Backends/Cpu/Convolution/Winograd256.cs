using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// Winograd's transforms on 256-bit vectors (AVX2 + FMA, the processors without AVX-512): the same sums in the same
/// order as the 512-bit code beside them, so the values are its values to the bit. A tile row of up to 16 tiles, one
/// 16-lane vector there, is two 8-lane halves here, lanes [h, h + 8) for h = 0, 8; a half past the last tile is skipped.
/// </summary>
/// <remarks>
/// The two widths are separate code: .NET 10's <c>Vector256&lt;T&gt;</c> and <c>Vector512&lt;T&gt;</c> do not
/// expose <c>ISimdVector</c> to user code, and the lane permutes (even/odd splits, interleaves, masked stores) differ
/// per instruction set anyway. Only the masks and permutes are AVX2's; the arithmetic is the 512-bit code's, lane for lane.
/// </remarks>
internal static partial class Winograd
{
    /// <summary>
    /// Whether a call that chose <paramref name="isa"/> transforms on 256-bit vectors: AVX2 chosen (or the portable
    /// GEMM forced) where the processor has AVX2 and FMA, or AVX-512 chosen where it lacks AVX-512. Read once on the
    /// calling thread and handed to the workers, as the GEMM kernel is.
    /// </summary>
    internal static bool Narrow(CpuIsa isa) =>
        Isa.InHardware(CpuIsa.Avx2) && !(isa == CpuIsa.Avx512 && Isa.InHardware(CpuIsa.Avx512));

    /// <summary>Floats of the staging row <see cref="SplitRow256"/> reads its plane row from: 2 + 32 + 2 columns and slack.</summary>
    private const int StageFloats = 40;

    private static readonly Vector256<int> Lanes256 = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);

    /// <summary>Lanes [0, count) of <paramref name="p"/>, 0 past them (count may be ≤ 0 or past 8); nothing past
    /// them is touched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> LoadPrefix256(float* p, int count) =>
        Avx.MaskLoad(p, Vector256.LessThan(Lanes256, Vector256.Create(count)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePrefix256(float* p, int count, Vector256<float> v) =>
        Avx.MaskStore(p, Vector256.LessThan(Lanes256, Vector256.Create(count)).AsSingle(), v);

    /// <summary>The even and the odd lanes of the 16 values (lo, hi).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) Deinterleave256(Vector256<float> lo, Vector256<float> hi)
    {
        // Shuffle works inside 128-bit halves ([lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]); the 64-bit permute puts them in order.
        var even = Avx.Shuffle(lo, hi, 0b10_00_10_00);
        var odd = Avx.Shuffle(lo, hi, 0b11_01_11_01);
        return (Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(odd.AsDouble(), 0b11_01_10_00).AsSingle());
    }

    /// <summary>(a0, b0, a1, b1, …, a7, b7) as two vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Lo, Vector256<float> Hi) Interleave256(Vector256<float> a, Vector256<float> b)
    {
        var low = Avx.UnpackLow(a, b);    // a0 b0 a1 b1 | a4 b4 a5 b5
        var high = Avx.UnpackHigh(a, b);  // a2 b2 a3 b3 | a6 b6 a7 b7
        return (Avx.Permute2x128(low, high, 0x20), Avx.Permute2x128(low, high, 0x31));
    }

    /// <inheritdoc cref="Relu"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Relu256(Vector256<float> v) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero) | ~Vector256.Equals(v, v), v, Vector256<float>.Zero);

    /// <summary>
    /// <see cref="SplitRow"/> on 256-bit vectors: the row (relu'd when asked) goes into <paramref name="stage"/>
    /// shifted right by the left padding with zeros around it, and each plane vector is an even/odd split of it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SplitRow256(float* row, int w, int padLeft, float* dst, bool relu, float* stage)
    {
        Vector256.Store(Vector256<float>.Zero, stage);
        Vector256.Store(Vector256<float>.Zero, stage + 32);
        for (int i = 0; i < 32; i += 8)
        {
            var v = LoadPrefix256(row + i, w - i);
            if (relu) v = Relu256(v);
            Vector256.Store(v, stage + padLeft + i);
        }
        // Lane t of plane vector k is stage[2t + k]: lanes [h, h + 8) are the even or odd lanes of stage[2h + (k & 2) ..].
        for (int h = 0; h < 16; h += 8)
        {
            var (e0, o0) = Deinterleave256(Vector256.Load(stage + 2 * h), Vector256.Load(stage + 2 * h + 8));
            var (e2, o2) = Deinterleave256(Vector256.Load(stage + 2 * h + 2), Vector256.Load(stage + 2 * h + 10));
            Vector256.Store(e0, dst + h);
            Vector256.Store(o0, dst + 16 + h);
            Vector256.Store(e2, dst + 32 + h);
            Vector256.Store(o2, dst + 48 + h);
        }
    }

    /// <summary>
    /// <see cref="TransformImage"/>'s work on one tile row (plane rows <paramref name="p0"/> .. p3), a half at a time:
    /// Bᵀ d B stored plain (<paramref name="nr"/> 0) or into the NR-wide panels (NR ≥ 8, so a half spans at most two).
    /// </summary>
    private static unsafe void TransformTileRow256(float* p0, float* p1, float* p2, float* p3, int th, int tileCols, int nr,
        int c, int ch, float* packed, long panelSize, int rowStride)
    {
        for (int h = 0; h < tileCols; h += 8)
        {
            var (a0, a1, a2, a3) = ColumnTransform256(p0, p1, p2, p3, h);
            var (b0, b1, b2, b3) = ColumnTransform256(p0, p1, p2, p3, 16 + h);
            var (c0, c1, c2, c3) = ColumnTransform256(p0, p1, p2, p3, 32 + h);
            var (d0, d1, d2, d3) = ColumnTransform256(p0, p1, p2, p3, 48 + h);
            if (nr == 0)
            {
                // Lanes past the row run into the next tile row's slots, which that row overwrites after.
                float* at = packed + (long)ch * rowStride + th * tileCols + h;
                StorePlain256(a0, b0, c0, d0, at, 0, panelSize);
                StorePlain256(a1, b1, c1, d1, at, 4, panelSize);
                StorePlain256(a2, b2, c2, d2, at, 8, panelSize);
                StorePlain256(a3, b3, c3, d3, at, 12, panelSize);
                continue;
            }
            int count = Math.Min(8, tileCols - h), p = th * tileCols + h, panel = p / nr, offset = p - panel * nr;
            int split = Math.Min(count, nr - offset);
            float* first = packed + ((long)panel * c + ch) * nr + offset;
            float* second = packed + ((long)(panel + 1) * c + ch) * nr - split;   // lane t ≥ split lands at t − split
            StorePanels256(a0, b0, c0, d0, first, second, 0, panelSize, split, count);
            StorePanels256(a1, b1, c1, d1, first, second, 4, panelSize, split, count);
            StorePanels256(a2, b2, c2, d2, first, second, 8, panelSize, split, count);
            StorePanels256(a3, b3, c3, d3, first, second, 12, panelSize, split, count);
        }
    }

    /// <inheritdoc cref="ColumnTransform"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) ColumnTransform256(
        float* r0, float* r1, float* r2, float* r3, int k)
    {
        var d0 = Vector256.Load(r0 + k); var d1 = Vector256.Load(r1 + k); var d2 = Vector256.Load(r2 + k); var d3 = Vector256.Load(r3 + k);
        return (d0 - d2, d1 + d2, d2 - d1, d1 - d3);
    }

    /// <inheritdoc cref="RowTransform"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) RowTransform256(
        Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3) => (x0 - x2, x1 + x2, x2 - x1, x1 - x3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePlain256(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3,
        float* at, int e0, long panelSize)
    {
        var (v0, v1, v2, v3) = RowTransform256(x0, x1, x2, x3);
        Vector256.Store(v0, at + e0 * panelSize);
        Vector256.Store(v1, at + (e0 + 1) * panelSize);
        Vector256.Store(v2, at + (e0 + 2) * panelSize);
        Vector256.Store(v3, at + (e0 + 3) * panelSize);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePanels256(Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3,
        float* first, float* second, int e0, long panelSize, int split, int count)
    {
        var (v0, v1, v2, v3) = RowTransform256(x0, x1, x2, x3);
        StoreTiles256(v0, first, second, e0 * panelSize, split, count);
        StoreTiles256(v1, first, second, (e0 + 1) * panelSize, split, count);
        StoreTiles256(v2, first, second, (e0 + 2) * panelSize, split, count);
        StoreTiles256(v3, first, second, (e0 + 3) * panelSize, split, count);
    }

    /// <inheritdoc cref="StoreTiles"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreTiles256(Vector256<float> tiles, float* first, float* second, long product, int split, int count)
    {
        StorePrefix256(first + product, split, tiles);
        if (split < count)
            Avx.MaskStore(second + product,
                (Vector256.GreaterThanOrEqual(Lanes256, Vector256.Create(split)) & Vector256.LessThan(Lanes256, Vector256.Create(count))).AsSingle(),
                tiles);
    }

    /// <summary><see cref="TransformGradient"/>'s work on one tile row: output rows <paramref name="upper"/> and
    /// <paramref name="lower"/> (null past the last row), each <paramref name="ow"/> wide.</summary>
    private static unsafe void GradientTileRow256(float* upper, float* lower, int ow, int tileCols, float* at, long product)
    {
        for (int h = 0; h < tileCols; h += 8)
        {
            var (a, b) = LoadPairs256(upper + 2 * h, ow - 2 * h);
            var (cc, d) = lower is null ? (Vector256<float>.Zero, Vector256<float>.Zero) : LoadPairs256(lower + 2 * h, ow - 2 * h);
            var r00 = a; var r01 = a + b; var r02 = a - b; var r03 = -b;
            var r10 = cc; var r11 = cc + d; var r12 = cc - d; var r13 = -d;
            float* to = at + h;
            Vector256.Store(r00, to); Vector256.Store(r01, to + product); Vector256.Store(r02, to + 2 * product); Vector256.Store(r03, to + 3 * product);
            Vector256.Store(r00 + r10, to + 4 * product); Vector256.Store(r01 + r11, to + 5 * product);
            Vector256.Store(r02 + r12, to + 6 * product); Vector256.Store(r03 + r13, to + 7 * product);
            Vector256.Store(r00 - r10, to + 8 * product); Vector256.Store(r01 - r11, to + 9 * product);
            Vector256.Store(r02 - r12, to + 10 * product); Vector256.Store(r03 - r13, to + 11 * product);
            Vector256.Store(-r10, to + 12 * product); Vector256.Store(-r11, to + 13 * product);
            Vector256.Store(-r12, to + 14 * product); Vector256.Store(-r13, to + 15 * product);
        }
    }

    /// <summary>16 floats of a row (0 past <paramref name="count"/>): its even and its odd columns, 8 lanes each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<float> Even, Vector256<float> Odd) LoadPairs256(float* row, int count) =>
        Deinterleave256(LoadPrefix256(row, count), LoadPrefix256(row + 8, count - 8));

    /// <inheritdoc cref="TileOutputs"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) TileOutputs256(float* src, long plane16,
        Vector256<float> b)
    {
        var s00 = Load256(src, 0, plane16) + Load256(src, 4, plane16) + Load256(src, 8, plane16);
        var s01 = Load256(src, 1, plane16) + Load256(src, 5, plane16) + Load256(src, 9, plane16);
        var s02 = Load256(src, 2, plane16) + Load256(src, 6, plane16) + Load256(src, 10, plane16);
        var s03 = Load256(src, 3, plane16) + Load256(src, 7, plane16) + Load256(src, 11, plane16);
        var s10 = Load256(src, 4, plane16) - Load256(src, 8, plane16) - Load256(src, 12, plane16);
        var s11 = Load256(src, 5, plane16) - Load256(src, 9, plane16) - Load256(src, 13, plane16);
        var s12 = Load256(src, 6, plane16) - Load256(src, 10, plane16) - Load256(src, 14, plane16);
        var s13 = Load256(src, 7, plane16) - Load256(src, 11, plane16) - Load256(src, 15, plane16);
        return (s00 + s01 + s02 + b, s01 - s02 - s03 + b, s10 + s11 + s12 + b, s11 - s12 - s13 + b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Load256(float* src, int e, long plane16) => Vector256.Load(src + e * plane16);

    /// <summary><see cref="TransformOutput"/>'s work on one tile row (its M at <paramref name="src"/>): output rows
    /// 2·th and 2·th + 1 of one channel, a half at a time.</summary>
    private static unsafe void OutputTileRow256(float* src, long plane16, Vector256<float> b, float* yo, int th, int oh, int ow, int tileCols,
        OutputPass pass)
    {
        for (int h = 0; h < tileCols; h += 8)
        {
            var (y00, y01, y10, y11) = TileOutputs256(src + h, plane16, b);
            StoreRow256(yo, 2 * th, oh, ow, 2 * h, y00, y01, pass);
            StoreRow256(yo, 2 * th + 1, oh, ow, 2 * h, y10, y11, pass);
        }
    }

    /// <summary><see cref="StoreRow"/> for output columns [<paramref name="column0"/>, column0 + 16) of row
    /// <paramref name="r"/>: lane t of <paramref name="even"/> and <paramref name="odd"/> gives columns column0 + 2t and
    /// column0 + 2t + 1; columns past the row are not written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow256(float* y, int r, int oh, int ow, int column0, Vector256<float> even, Vector256<float> odd,
        OutputPass pass = default)
    {
        if (r >= oh) return;
        var (lo, hi) = Interleave256(even, odd);
        long at = (long)r * ow + column0;
        int count = ow - column0;
        if (pass.Mask is not null)
        {
            lo = Vector256.GreaterThan(LoadPrefix256(pass.Mask + at, count), Vector256<float>.Zero) & lo;
            hi = Vector256.GreaterThan(LoadPrefix256(pass.Mask + at + 8, count - 8), Vector256<float>.Zero) & hi;
        }
        if (pass.Residual is not null)
        {
            lo += LoadPrefix256(pass.Residual + at, count);
            hi += LoadPrefix256(pass.Residual + at + 8, count - 8);
        }
        if (pass.Relu) (lo, hi) = (Relu256(lo), Relu256(hi));
        if (count >= 16)
        {
            Vector256.Store(lo, y + at);
            Vector256.Store(hi, y + at + 8);
            return;
        }
        StorePrefix256(y + at, count, lo);
        StorePrefix256(y + at + 8, count - 8, hi);
    }

    /// <summary><see cref="TransformOutputPooled"/>'s work on one tile row: its first <paramref name="pw"/> tiles
    /// pooled, relu'd and coded, a half at a time.</summary>
    private static unsafe void PooledTileRow256(float* src, long plane16, Vector256<float> b, float* po, byte* co, int pw)
    {
        for (int h = 0; h < pw; h += 8)
        {
            var (y00, y01, y10, y11) = TileOutputs256(src + h, plane16, b);
            var (best, at) = FirstMax256(y00, y01, y10, y11);
            var open = Vector256.GreaterThan(best, Vector256<float>.Zero);
            var kept = open | ~Vector256.Equals(best, best);
            StorePooledRow256(po + h, co + h, Math.Min(8, pw - h), Vector256.ConditionalSelect(kept, best, Vector256<float>.Zero),
                Vector256.ConditionalSelect(open.AsInt32(), at, Vector256.Create(Closed)));
        }
    }

    /// <inheritdoc cref="FirstMax"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Best, Vector256<int> At) FirstMax256(Vector256<float> a, Vector256<float> b, Vector256<float> c,
        Vector256<float> d)
    {
        var best = a;
        var at = Vector256<int>.Zero;
        (best, at) = Take256(Vector256.GreaterThan(b, best), b, 1, best, at);
        (best, at) = Take256(Vector256.GreaterThan(c, best), c, 2, best, at);
        (best, at) = Take256(Vector256.GreaterThan(d, best), d, 3, best, at);
        (best, at) = Take256(~Vector256.Equals(d, d), d, 3, best, at);
        (best, at) = Take256(~Vector256.Equals(c, c), c, 2, best, at);
        (best, at) = Take256(~Vector256.Equals(b, b), b, 1, best, at);
        return Take256(~Vector256.Equals(a, a), a, 0, best, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<int>) Take256(Vector256<float> where, Vector256<float> value, int position,
        Vector256<float> best, Vector256<int> at) =>
        (Vector256.ConditionalSelect(where, value, best), Vector256.ConditionalSelect(where.AsInt32(), Vector256.Create(position), at));

    /// <summary>Lanes [0, count) of a pooled row and of its codes, one byte each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePooledRow256(float* pooled, byte* codes, int count, Vector256<float> values, Vector256<int> at)
    {
        StorePrefix256(pooled, count, values);
        var bytes = Vector128.Narrow(Vector128.Narrow(at.GetLower().AsUInt32(), at.GetUpper().AsUInt32()), Vector128<ushort>.Zero);
        if (count == 8)
        {
            Unsafe.WriteUnaligned(codes, bytes.AsUInt64().ToScalar());
            return;
        }
        for (int t = 0; t < count; t++) codes[t] = bytes.GetElement(t);
    }

    /// <summary><see cref="UnpoolPlanes"/>'s work on one pooled row: output rows 2·th and 2·th + 1, a half at a time
    /// (halves past the pooled row still write the odd last column's zeros).</summary>
    private static unsafe void UnpoolRow256(float* gradient, byte* code, float* drop, int pw, float* dst, int th, int oh, int ow)
    {
        var zero = Vector256<float>.Zero;
        for (int h = 0; 2 * h < ow; h += 8)
        {
            // Codes past the row are whatever follows (the code buffer has a vector's slack): their gradient is 0.
            var d = LoadPrefix256(gradient + h, pw - h);
            var at = Avx2.ConvertToVector256Int32(code + h);
            if (drop is not null) d *= LoadPrefix256(drop + h, pw - h);
            var upperEven = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256<int>.Zero).AsSingle(), d, zero) + zero;
            var upperOdd = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256.Create(1)).AsSingle(), d, zero) + zero;
            var lowerEven = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256.Create(2)).AsSingle(), d, zero) + zero;
            var lowerOdd = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256.Create(3)).AsSingle(), d, zero) + zero;
            StoreRow256(dst, 2 * th, oh, ow, 2 * h, upperEven, upperOdd);
            StoreRow256(dst, 2 * th + 1, oh, ow, 2 * h, lowerEven, lowerOdd);
        }
    }
}
