using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// F(4×4, 3×3), Winograd's larger tiles (Lavin and Gray, 2016), for inference: each 4×4 block of outputs comes from a
/// 6×6 tile of the image as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 36 multiplies where the direct sum takes 144 (4 times fewer;
/// F(2×2) saves 2.25 times). Over channels the 36 products are GEMMs [K × C] by [C × tiles], as in F(2×2).
/// </summary>
/// <remarks>
/// <para>The interpolation points are 0, ±1, ±2 and ∞ (Lavin and Gray; NNPACK), whose transforms hold the smallest
/// constants (4, 5, 8, 1/6, 1/24): the error stays near F(2×2)'s rather than growing with the constants, but it is
/// larger (the tests state it against the reference backend). So it runs where a caller keeps packed weights — layers
/// in evaluation mode, through <see cref="Pack"/> — and training keeps F(2×2): the gain is inference's.</para>
/// <para>Layouts: a tile row's (at most 8) tiles are the 8 lanes of a vector; each image row is first split into 6
/// vectors by transposes, vector k holding plane column 4t + k in lane t, so the transforms run on whole vectors with no tests, in
/// 256-bit vectors for both AVX-512 and AVX2 (an image row of at most 32 floats gives at most 8 tiles). Each task runs
/// one or several whole images (<see cref="LargeImagesPerTask"/>, by shape) on one core, their tiles side by side in the
/// GEMMs' columns; a column's sums are the same whichever panel holds it, so results never depend on the thread count.</para>
/// </remarks>
internal static partial class Winograd
{
    /// <summary>Tiles of a tile row, the lanes of a 256-bit vector.</summary>
    private const int LargeTileColumns = 8;

    /// <summary>Below this many tiles a task leaves the 36 products' GEMMs too narrow to pay.</summary>
    private const int LargeMinTiles = 16;

    /// <summary>
    /// Tiles a task gathers, from as many images as it takes (at most <see cref="LargeMaxImages"/>): one whole AVX-512
    /// panel, two AVX2 ones. A 16×16 map has 16 tiles and an 8×8 map 4: one image alone filled half a panel, whose kernel
    /// runs half the multiply-adds per load, or (8×8) too little to take F(4×4) at all.
    /// </summary>
    private const int LargeTaskTiles = 32;

    /// <summary>Most images a task gathers: small maps still leave a batch many tasks to share out.</summary>
    private const int LargeMaxImages = 8;

    /// <summary>Images one task of <see cref="ForwardLarge"/> transforms and multiplies together: a choice by shape alone.</summary>
    internal static int LargeImagesPerTask(in ConvGeometry g) =>
        Math.Clamp((LargeTaskTiles + LargeTiles(g) - 1) / LargeTiles(g), 1, LargeMaxImages);

    /// <summary>Floats per split plane row: 6 vectors of 8 lanes.</summary>
    private const int LargeRowFloats = 48;

    /// <summary>
    /// Whether F(4×4) computes <paramref name="g"/> correctly and pays, given weights packed for it: what
    /// <see cref="FitsForward"/> asks, output rows of at most 32 and at least <see cref="LargeMinTiles"/> tiles a task
    /// (<see cref="LargeImagesPerTask"/> images).
    /// </summary>
    internal static bool FitsLargeShape(in ConvGeometry g) =>
        FitsForward(g) && (g.OutWidth + 3) / 4 <= LargeTileColumns && LargeTiles(g) * LargeImagesPerTask(g) >= LargeMinTiles;

    /// <summary><see cref="FitsLargeShape"/> with a batch of at least two tasks: one image, or too few to share out,
    /// take F(2×2), whose channels (one image) or samples split over the cores.</summary>
    /// <remarks>A choice by shape only, never by thread count, so neither are the results.</remarks>
    internal static bool FitsLarge(in ConvGeometry g) => FitsLargeShape(g) && g.Batch >= 2 * LargeImagesPerTask(g);

    private static int LargeTiles(in ConvGeometry g) => (g.OutHeight + 3) / 4 * ((g.OutWidth + 3) / 4);

    /// <summary>The 36 transformed weight matrices U = G g Gᵀ [36][K][C], each packed as the GEMM's A panels.</summary>
    internal static unsafe float[] PackLarge(ReadOnlySpan<float> weight, int k, int c, int mr)
    {
        int mPad = (k + mr - 1) / mr * mr;
        var packed = GC.AllocateUninitializedArray<float>(36 * mPad * c + 36 * k * c);
        fixed (float* w = weight, dst = packed)
        {
            float* u = dst + 36 * mPad * c;
            for (int o = 0; o < k; o++)
                for (int i = 0; i < c; i++) TransformFilterLarge(w + ((long)o * c + i) * 9, u + (long)o * c + i, (long)k * c);
            for (int e = 0; e < 36; e++) Gemm.PackAPanels(false, u + (long)e * k * c, c, k, 0, c, mr, dst + (long)e * mPad * c);
        }
        return packed;
    }

    /// <summary>U = G g Gᵀ for one 3×3 filter: u[e·stride] for e = 6i + j.</summary>
    private static unsafe void TransformFilterLarge(float* g, float* u, long stride)
    {
        // G = [[1/4, 0, 0], [−1/6, −1/6, −1/6], [−1/6, 1/6, −1/6], [1/24, 1/12, 1/6], [1/24, −1/12, 1/6], [0, 0, 1]]:
        // on the columns of g, then on the rows of the result.
        float* t = stackalloc float[18];
        for (int j = 0; j < 3; j++) FilterColumn(g[j], g[3 + j], g[6 + j], t + j, 3);
        float* row = stackalloc float[6];
        for (int i = 0; i < 6; i++)
        {
            FilterColumn(t[3 * i], t[3 * i + 1], t[3 * i + 2], row, 1);
            for (int j = 0; j < 6; j++) u[(6 * i + j) * stride] = row[j];
        }
    }

    private static unsafe void FilterColumn(float g0, float g1, float g2, float* dst, int step)
    {
        dst[0] = g0 / 4f;
        dst[step] = -(g0 + g1 + g2) / 6f;
        dst[2 * step] = -(g0 - g1 + g2) / 6f;
        dst[3 * step] = g0 / 24f + g1 / 12f + g2 / 6f;
        dst[4 * step] = g0 / 24f - g1 / 12f + g2 / 6f;
        dst[5 * step] = g2;
    }

    /// <summary>
    /// y = weight ⊛ image + bias, then + residual and relu when asked, by F(4×4) for a geometry <see cref="FitsLarge"/>
    /// accepts, from weights <see cref="PackLarge"/> made for GEMM tile height <paramref name="mr"/>.
    /// </summary>
    internal static unsafe void ForwardLarge(in ConvGeometry g, float* x, float[] packedWeights, int mr, float* b, float* y,
        float* residual, bool relu)
    {
        var kernel = Isa.Current;
        var (kernelMr, nr) = Gemm.TileOf(kernel);
        if (kernelMr != mr)
            throw new ArgumentException($"Winograd F(4×4): weights packed for tile height {mr}, the kernel takes {kernelMr}.");
        int k = g.ColumnChannels, c = g.ImageChannels, mPad = (k + mr - 1) / mr * mr;
        int tileRows = (g.OutHeight + 3) / 4, tileCols = (g.OutWidth + 3) / 4, tiles = tileRows * tileCols;
        // A task's images lie side by side in the products' columns: image i's tiles from i·tiles on.
        int images = LargeImagesPerTask(g), tasks = (g.Batch + images - 1) / images;
        int panels = (images * tiles + nr - 1) / nr, stride = panels * nr + LargeTileColumns;
        // Products a cache line further apart than their panels need: no 4 KB multiples between the 36 streams.
        int panelSize = panels * nr * c + 16, mSize = 36 * mr * stride, bSize = 36 * panelSize;
        int planeSize = (4 * tileRows + 2) * LargeRowFloats;
        var geometry = g;
        var pass = new OutputPass(null, residual, relu);
        Threading.For(tasks, task =>
        {
            var gg = geometry;
            var scratch = t_scratch;
            int size = mSize + bSize + planeSize;
            if (scratch is null || scratch.Length < size) t_scratch = scratch = GC.AllocateUninitializedArray<float>(size);
            int first = task * images, count = Math.Min(images, gg.Batch - first), columns = count * tiles;
            int used = (columns + nr - 1) / nr;
            fixed (float* pu = packedWeights, ps = scratch)
            {
                float* m = ps, packedB = m + mSize, plane = packedB + bSize;
                for (int i = 0; i < count; i++)
                    TransformImageLarge(gg, x + (long)(first + i) * c * gg.ImageSize, plane, tileRows, tileCols, nr, panelSize, packedB,
                        i * tiles, columns);
                for (int o0 = 0; o0 < k; o0 += mr)
                {
                    int rows = Math.Min(mr, k - o0);
                    for (int e = 0; e < 36; e++)
                        Gemm.MultiplyPacked(kernel, rows, columns, c, pu + (long)e * mPad * c + (long)o0 * c, packedB + (long)e * panelSize,
                            0, used, m + (long)e * mr * stride, stride, accumulate: false);
                    for (int i = 0; i < count; i++)
                    {
                        long at = (long)(first + i) * k * gg.OutSize;
                        TransformOutputLarge(gg, o0, rows, m + i * tiles, stride, mr, tileRows, tileCols, b, y + at, pass.At(at));
                    }
                }
            }
        });
    }

    /// <summary>
    /// V = Bᵀ d B for every 6×6 tile d of every channel of one image, as the GEMM's packed B operands: for product e,
    /// the image's tile t (column p = <paramref name="firstTile"/> + t) of channel ch at
    /// e·panelSize + (p / NR)·C·NR + ch·NR + p mod NR. The first image of a task (<paramref name="firstTile"/> 0) also
    /// zeroes the columns past the task's last, <paramref name="columns"/>.
    /// </summary>
    [SkipLocalsInit]   // its scratch is written before it is read
    private static unsafe void TransformImageLarge(in ConvGeometry g, float* image, float* plane, int tileRows, int tileCols, int nr,
        int panelSize, float* packed, int firstTile, int columns)
    {
        int h = g.Height, w = g.Width, pad = g.PadTop, c = g.ImageChannels, planeRows = 4 * tileRows + 2;
        int tail = columns % nr, lastPanel = columns / nr;
        if (tail != 0 && firstTile == 0)
            for (int e = 0; e < 36; e++)
                for (int ch = 0; ch < c; ch++)
                    new Span<float>(packed + (long)e * panelSize + ((long)lastPanel * c + ch) * nr + tail, nr - tail).Clear();
        float* s = stackalloc float[36 * 8];
        // Lane l of load q (at image column 8q + l − pad) lies inside the row; the masked loads touch nothing outside it.
        var inside = stackalloc Vector256<float>[5];
        var shifted = stackalloc Vector256<float>[4];   // the same, 4 columns on
        for (int q = 0; q < 5; q++)
        {
            var column = Vector256.Create(8 * q - g.PadLeft) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            inside[q] = InsideRow(column, w);
            if (q < 4) shifted[q] = InsideRow(column + Vector256.Create(4), w);
        }
        for (int ch = 0; ch < c; ch++)
        {
            float* src = image + (long)ch * h * w;
            if (ch + 1 < c) PrefetchPlane(src + (long)h * w, h * w);
            for (int r = 0; r < planeRows; r++)
            {
                float* dst = plane + r * LargeRowFloats;
                int sr = r - pad;
                if (sr < 0 || sr >= h)
                {
                    new Span<float>(dst, LargeRowFloats).Clear();
                    continue;
                }
                // Vector k, lane t = image column 4t + k − pad (0 outside the row): columns 0..31 of the padded row
                // transposed as 8 tiles × 4 gives k = 0..3, and columns 4..35 give k = 4, 5.
                float* row = src + (long)sr * w - g.PadLeft;
                var (k0, k1, k2, k3) = SplitColumns(Avx.MaskLoad(row, inside[0]), Avx.MaskLoad(row + 8, inside[1]),
                    Avx.MaskLoad(row + 16, inside[2]), Avx.MaskLoad(row + 24, inside[3]));
                var (k4, k5, _, _) = SplitColumns(Avx.MaskLoad(row + 4, shifted[0]), Avx.MaskLoad(row + 12, shifted[1]),
                    Avx.MaskLoad(row + 20, shifted[2]), Avx.MaskLoad(row + 28, shifted[3]));
                k0.Store(dst); k1.Store(dst + 8); k2.Store(dst + 16); k3.Store(dst + 24); k4.Store(dst + 32); k5.Store(dst + 40);
            }
            for (int th = 0; th < tileRows; th++)
            {
                float* rows = plane + 4 * th * LargeRowFloats;
                // Bᵀ down the columns: s[6a + k] = row a of Bᵀ applied to the 6 plane rows' vector k.
                for (int kk = 0; kk < 6; kk++)
                {
                    var (r0, r1, r2, r3, r4, r5) = InputTransform(
                        Vector256.Load(rows + kk * 8), Vector256.Load(rows + LargeRowFloats + kk * 8),
                        Vector256.Load(rows + 2 * LargeRowFloats + kk * 8), Vector256.Load(rows + 3 * LargeRowFloats + kk * 8),
                        Vector256.Load(rows + 4 * LargeRowFloats + kk * 8), Vector256.Load(rows + 5 * LargeRowFloats + kk * 8));
                    r0.Store(s + (0 * 6 + kk) * 8); r1.Store(s + (1 * 6 + kk) * 8); r2.Store(s + (2 * 6 + kk) * 8);
                    r3.Store(s + (3 * 6 + kk) * 8); r4.Store(s + (4 * 6 + kk) * 8); r5.Store(s + (5 * 6 + kk) * 8);
                }
                int p = firstTile + th * tileCols, panel = p / nr, offset = p - panel * nr;
                bool onePanel = offset + tileCols <= nr;
                float* at = packed + ((long)panel * c + ch) * nr + offset;
                for (int a = 0; a < 6; a++)
                {
                    float* sa = s + a * 48;
                    var (v0, v1, v2, v3, v4, v5) = InputTransform(Vector256.Load(sa), Vector256.Load(sa + 8), Vector256.Load(sa + 16),
                        Vector256.Load(sa + 24), Vector256.Load(sa + 32), Vector256.Load(sa + 40));
                    if (tileCols == LargeTileColumns && onePanel)
                    {
                        long e0 = 6L * a * panelSize;
                        v0.Store(at + e0); v1.Store(at + e0 + panelSize); v2.Store(at + e0 + 2L * panelSize);
                        v3.Store(at + e0 + 3L * panelSize); v4.Store(at + e0 + 4L * panelSize); v5.Store(at + e0 + 5L * panelSize);
                        continue;
                    }
                    if (onePanel)
                    {
                        long e0 = 6L * a * panelSize;
                        StorePrefix256(at + e0, tileCols, v0);
                        StorePrefix256(at + e0 + panelSize, tileCols, v1);
                        StorePrefix256(at + e0 + 2L * panelSize, tileCols, v2);
                        StorePrefix256(at + e0 + 3L * panelSize, tileCols, v3);
                        StorePrefix256(at + e0 + 4L * panelSize, tileCols, v4);
                        StorePrefix256(at + e0 + 5L * panelSize, tileCols, v5);
                        continue;
                    }
                    StoreLanesLarge(v0, packed, c, ch, nr, p, tileCols, 6L * a * panelSize);
                    StoreLanesLarge(v1, packed, c, ch, nr, p, tileCols, (6L * a + 1) * panelSize);
                    StoreLanesLarge(v2, packed, c, ch, nr, p, tileCols, (6L * a + 2) * panelSize);
                    StoreLanesLarge(v3, packed, c, ch, nr, p, tileCols, (6L * a + 3) * panelSize);
                    StoreLanesLarge(v4, packed, c, ch, nr, p, tileCols, (6L * a + 4) * panelSize);
                    StoreLanesLarge(v5, packed, c, ch, nr, p, tileCols, (6L * a + 5) * panelSize);
                }
            }
        }
    }

    /// <summary>
    /// Four vectors of a row (tiles 0, 1 | 2, 3 | 4, 5 | 6, 7, four columns each) transposed: vector k holds column k
    /// of tile t in lane t. The halves first (tiles t and t + 4 share a 128-bit lane position), then a 4×4 transpose
    /// within each half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) SplitColumns(Vector256<float> v0,
        Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        var r0 = Avx.Permute2x128(v0, v2, 0x20);   // tiles 0 | 4
        var r1 = Avx.Permute2x128(v0, v2, 0x31);   // tiles 1 | 5
        var r2 = Avx.Permute2x128(v1, v3, 0x20);   // tiles 2 | 6
        var r3 = Avx.Permute2x128(v1, v3, 0x31);   // tiles 3 | 7
        var low01 = Avx.UnpackLow(r0, r1);
        var high01 = Avx.UnpackHigh(r0, r1);
        var low23 = Avx.UnpackLow(r2, r3);
        var high23 = Avx.UnpackHigh(r2, r3);
        return (Avx.Shuffle(low01, low23, 0x44), Avx.Shuffle(low01, low23, 0xEE), Avx.Shuffle(high01, high23, 0x44),
            Avx.Shuffle(high01, high23, 0xEE));
    }

    private static Vector256<float> InsideRow(Vector256<int> column, int width) =>
        (Vector256.GreaterThanOrEqual(column, Vector256<int>.Zero) & Vector256.LessThan(column, Vector256.Create(width))).AsSingle();

    /// <summary>A tile row that straddles two panels: each lane to its own panel.</summary>
    private static unsafe void StoreLanesLarge(Vector256<float> v, float* packed, int c, int ch, int nr, int p0, int count, long product)
    {
        for (int t = 0; t < count; t++)
        {
            int q = (p0 + t) / nr;
            packed[product + ((long)q * c + ch) * nr + (p0 + t - q * nr)] = v[t];
        }
    }

    /// <summary>Bᵀ d for one column of 6: [4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0],
    /// [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0], [0, 4, 0, −5, 0, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>)
        InputTransform(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3, Vector256<float> d4,
            Vector256<float> d5)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(-5f);
        var two = Vector256.Create(2f);
        var evenSum = d4 - d2;          // shared by rows 3 and 4
        var r0 = Vector256.FusedMultiplyAdd(four, d0, Vector256.FusedMultiplyAdd(five, d2, d4));
        var r1 = Vector256.FusedMultiplyAdd(four, -(d1 + d2), d3 + d4);
        var r2 = Vector256.FusedMultiplyAdd(four, d1 - d2, d4 - d3);
        var r3 = Vector256.FusedMultiplyAdd(two, d3 - d1, evenSum);
        var r4 = Vector256.FusedMultiplyAdd(two, d1 - d3, evenSum);
        var r5 = Vector256.FusedMultiplyAdd(four, d1, Vector256.FusedMultiplyAdd(five, d3, d5));
        return (r0, r1, r2, r3, r4, r5);
    }

    /// <summary>Aᵀ m for one column of 6: [1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0],
    /// [0, 1, −1, 8, −8, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) OutputTransform(Vector256<float> m0,
        Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, Vector256<float> m4, Vector256<float> m5)
    {
        var sum12 = m1 + m2;
        var diff12 = m1 - m2;
        var sum34 = m3 + m4;
        var diff34 = m3 - m4;
        var y0 = m0 + sum12 + sum34;
        var y1 = Vector256.FusedMultiplyAdd(Vector256.Create(2f), diff34, diff12);
        var y2 = Vector256.FusedMultiplyAdd(Vector256.Create(4f), sum34, sum12);
        var y3 = Vector256.FusedMultiplyAdd(Vector256.Create(8f), diff34, diff12) + m5;
        return (y0, y1, y2, y3);
    }

    /// <summary>
    /// Y = Aᵀ M A + bias for every tile of output channels [o0, o0 + rows), then the pass (residual, ReLU): each tile row
    /// gives four output rows, its tiles' four columns interleaved. M holds the block's 36 products,
    /// m[e·MR·stride + row·stride + tile].
    /// </summary>
    [SkipLocalsInit]   // its scratch is written before it is read
    private static unsafe void TransformOutputLarge(in ConvGeometry g, int o0, int rows, float* m, int stride, int mr, int tileRows,
        int tileCols, float* bias, float* y, OutputPass pass)
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        long product = (long)mr * stride;
        float* t = stackalloc float[24 * 8];
        for (int r = 0; r < rows; r++)
        {
            int o = o0 + r;
            var b = Vector256.Create(bias is null ? 0f : bias[o]);
            float* yo = y + (long)o * oh * ow;
            var po = pass.At((long)o * oh * ow);
            for (int th = 0; th < tileRows; th++)
            {
                float* src = m + (long)r * stride + th * tileCols;
                // Down the columns: t[6i + j] = row i of Aᵀ applied to products 6a + j, a = 0..5.
                for (int j = 0; j < 6; j++)
                {
                    var (c0, c1, c2, c3) = OutputTransform(Vector256.Load(src + j * product), Vector256.Load(src + (6 + j) * product),
                        Vector256.Load(src + (12 + j) * product), Vector256.Load(src + (18 + j) * product),
                        Vector256.Load(src + (24 + j) * product), Vector256.Load(src + (30 + j) * product));
                    c0.Store(t + j * 8); c1.Store(t + (6 + j) * 8); c2.Store(t + (12 + j) * 8); c3.Store(t + (18 + j) * 8);
                }
                for (int i = 0; i < 4; i++)
                {
                    int row = 4 * th + i;
                    if (row >= oh) break;
                    float* ti = t + 6 * i * 8;
                    var (y0, y1, y2, y3) = OutputTransform(Vector256.Load(ti), Vector256.Load(ti + 8), Vector256.Load(ti + 16),
                        Vector256.Load(ti + 24), Vector256.Load(ti + 32), Vector256.Load(ti + 40));
                    StoreRowLarge(yo + (long)row * ow, ow, y0 + b, y1 + b, y2 + b, y3 + b,
                        po.Residual is null ? null : po.Residual + (long)row * ow, po.Relu);
                }
            }
        }
    }

    /// <summary>One output row from its tiles' four columns (lane t of <paramref name="y0"/>..<paramref name="y3"/> gives
    /// columns 4t..4t + 3), plus the residual row and the ReLU when given; nothing past <paramref name="ow"/> is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRowLarge(float* dst, int ow, Vector256<float> y0, Vector256<float> y1, Vector256<float> y2,
        Vector256<float> y3, float* residual, bool relu)
    {
        // A 4×8 transpose: unpack pairs, then pairs of pairs, within each 128-bit half (tiles 0–3 low, 4–7 high), then
        // the halves into place: out0 = tiles 0, 1; out1 = tiles 2, 3; out2 = tiles 4, 5; out3 = tiles 6, 7.
        var a = Avx.UnpackLow(y0, y1);
        var bb = Avx.UnpackHigh(y0, y1);
        var cc = Avx.UnpackLow(y2, y3);
        var d = Avx.UnpackHigh(y2, y3);
        var t0 = Avx.Shuffle(a, cc, 0x44);
        var t1 = Avx.Shuffle(a, cc, 0xEE);
        var t2 = Avx.Shuffle(bb, d, 0x44);
        var t3 = Avx.Shuffle(bb, d, 0xEE);
        var out0 = Avx.Permute2x128(t0, t1, 0x20);
        var out1 = Avx.Permute2x128(t2, t3, 0x20);
        var out2 = Avx.Permute2x128(t0, t1, 0x31);
        var out3 = Avx.Permute2x128(t2, t3, 0x31);
        StoreLarge(dst, ow, out0, residual, relu);
        StoreLarge(dst + 8, ow - 8, out1, residual is null ? null : residual + 8, relu);
        StoreLarge(dst + 16, ow - 16, out2, residual is null ? null : residual + 16, relu);
        StoreLarge(dst + 24, ow - 24, out3, residual is null ? null : residual + 24, relu);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreLarge(float* dst, int count, Vector256<float> v, float* residual, bool relu)
    {
        if (count <= 0) return;
        if (residual is not null) v += count >= 8 ? Vector256.Load(residual) : LoadPrefix256(residual, count);
        if (relu) v = Relu256(v);
        if (count >= 8) v.Store(dst);
        else StorePrefix256(dst, count, v);
    }
}
