using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// 3×3, stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, 2016): each 2×2 block of
/// outputs comes from a 4×4 tile of the image as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 16 multiplies where the direct sum
/// takes 36. Over channels the 16 elementwise products become 16 GEMMs, [out channels × in channels] by
/// [in channels × tiles], 2.25 times fewer flops than im2col's one GEMM.
/// </summary>
/// <remarks>
/// The transforms add and subtract (and halve, for the weights), so the results differ from the direct sum by a few
/// units in the last place, as im2col's do from a naive loop; they never depend on the thread count. Each sample runs
/// on one core: the tile transforms and the 16 products stay in that core's caches.
/// </remarks>
internal static partial class Winograd
{
    /// <summary>Tile columns go in one 16-lane vector: output rows of at most 32 (and image rows too: see <see cref="SplitRow"/>).</summary>
    private const int MaxTileColumns = 16;

    /// <summary>
    /// Whether <see cref="Forward"/> takes <paramref name="g"/>, and pays: 3×3, stride 1, no dilation or groups,
    /// output and image rows of at most 32, channels enough for the 16 products to be GEMMs and few enough for one K block, a
    /// batch (one image runs faster as im2col split over the cores: each sample here is one core's), and a processor
    /// that runs the transforms in hardware (<see cref="Accelerated"/>: AVX-512, or AVX2 with FMA). Backward data asks the same of its transposed geometry.
    /// </summary>
    /// <remarks>The choice depends on the shapes only, never on the thread count, so neither do the results.</remarks>
    internal static bool Fits(in ConvGeometry g) => FitsForward(g) && g.Batch >= 2;

    /// <summary>
    /// Whether <see cref="Forward"/> takes <paramref name="g"/> at any batch size: <see cref="Fits"/> without the batch.
    /// Fewer images than cores split each image's channels over the cores instead (see <see cref="RunSplit"/>), so one
    /// image is Winograd's too, and gives the bits it gives in a batch.
    /// </summary>
    internal static bool FitsForward(in ConvGeometry g) =>
        Accelerated(Isa.Current) && Shape(g) && g.ImageChannels >= 16 && g.ColumnChannels >= 16;

    /// <summary>Whether <paramref name="isa"/> runs Winograd's transforms in hardware: AVX-512, or AVX2 with FMA
    /// (<see cref="Narrow"/>). Portable code takes im2col: the transforms emulated in software would cost their gain.</summary>
    internal static bool Accelerated(CpuIsa isa) => isa is CpuIsa.Avx512 or CpuIsa.Avx2 && Isa.InHardware(isa);

    /// <summary>The geometry alone (no processor test, no size threshold): what <see cref="Forward"/> computes correctly.</summary>
    internal static bool Shape(in ConvGeometry g) =>
        g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.Groups == 1 && g.PadTop == g.PadBottom && g.PadLeft == g.PadRight && g.PadTop is >= 0 and <= 2 && g.PadLeft is >= 0 and <= 2
        && g.OutHeight >= 1 && g.OutWidth >= 1 && (g.OutWidth + 1) / 2 <= MaxTileColumns && g.Width <= 32
        && Gemm.DepthBlock(g.ImageChannels) == g.ImageChannels;

    /// <summary>The geometry of <paramref name="g"/>'s backward-data pass as a forward convolution: the column gradient
    /// padded by 2 − pad, convolved with the weight flipped and its channels swapped, gives the image gradient.</summary>
    internal static ConvGeometry Transposed(in ConvGeometry g) => g with
    {
        ImageChannels = g.ColumnChannels, ColumnChannels = g.ImageChannels, Height = g.OutHeight, Width = g.OutWidth,
        PadTop = 2 - g.PadTop, PadBottom = 2 - g.PadBottom, PadLeft = 2 - g.PadLeft, PadRight = 2 - g.PadRight,
    };

    /// <summary>y = weight ⊛ image (+ bias), as <see cref="Convolution.Forward"/>, for a geometry that <see cref="Shape"/> accepts.</summary>
    /// <param name="prepacked">The weights as <see cref="Pack"/> made them, or null to transform them in this call.</param>
    /// <param name="residual">When given (laid out as y), added to each output before it is stored.</param>
    /// <param name="relu">Store relu(output) (after the residual): a residual block's epilogue, in the output transform.</param>
    /// <remarks>Weights packed for F(4×4) as well (<see cref="WinogradWeights.Large"/>: a layer in evaluation mode)
    /// run F(4×4) where <see cref="FitsLarge"/> takes the geometry.</remarks>
    internal static unsafe void Forward(in ConvGeometry g, float* x, float* w, float* b, float* y, WinogradWeights? prepacked = null,
        float* residual = null, bool relu = false)
    {
        if (prepacked is { Large: { } large } p && p.K == g.ColumnChannels && p.C == g.ImageChannels
            && p.Mr == Gemm.TileOf(Isa.Current).Mr && FitsLarge(g))
        {
            ForwardLarge(g, x, large, p.Mr, b, y, residual, relu);
            return;
        }
        Run(g, x, w, flipped: false, b, y, prepacked: prepacked, pass: new OutputPass(null, residual, relu));
    }

    /// <summary>Image gradient from the column gradient, as <see cref="Convolution.BackwardData"/>, when
    /// <see cref="Shape"/> accepts <see cref="Transposed"/>(<paramref name="g"/>).</summary>
    internal static unsafe void BackwardData(in ConvGeometry g, float* dy, float* w, float* dx) =>
        Run(Transposed(g), dy, w, flipped: true, null, dx);

    /// <summary>
    /// weight gradient = Σ over samples and tiles of (A dY Aᵀ) ⊙ (Bᵀ d B), taken back through U = G g Gᵀ as Gᵀ dU G:
    /// per sample 16 GEMMs [out channels × tiles] by [tiles × in channels], as <see cref="Convolution.BackwardWeight"/>
    /// (overwriting <paramref name="dw"/>), for a geometry <see cref="Shape"/> accepts. Samples are summed in fixed
    /// chunks added in order, so the result depends on the batch size only.
    /// </summary>
    /// <param name="pooledDy">When given, the output gradient is unpooled from it one sample at a time (see
    /// <see cref="BackwardWeightPooled"/>) and <paramref name="dy"/> is not read.</param>
    /// <param name="reluImage">The image is relu(x), taken as it is read (see <see cref="SplitRow"/>).</param>
    /// <param name="db">With <paramref name="pooledDy"/>, the bias gradient too, from the planes unpooled here anyway:
    /// <see cref="BiasGradientPooled"/>'s sums, to the bit, without a second pass that unpools them again.</param>
    internal static unsafe void BackwardWeight(in ConvGeometry g, float* x, float* dy, float* dw, PooledGradient pooledDy = default,
        bool reluImage = false, float* db = null)
    {
        int k = g.ColumnChannels, c = g.ImageChannels, tileRows = (g.OutHeight + 1) / 2, tileCols = (g.OutWidth + 1) / 2;
        int tiles = tileRows * tileCols, stride = tiles + MaxTileColumns, planeRows = 2 * tileRows + 2;
        // Products a cache line further apart than their rows need, as in Run: no 4 KB multiples between streams.
        var kernel = Isa.Current;
        var (mr, nr) = Gemm.TileOf(kernel);
        int packedA = PackedRows(k, mr, tiles), packedB = PackedRows(c, nr, tiles);
        int vProduct = c * stride + 16, mProduct = k * stride + 16, size = 16 * (vProduct + mProduct) + planeRows * PlaneRowFloats
            + packedA + packedB + (pooledDy.IsGiven ? k * g.OutSize : 0);
        int chunks = Math.Min(g.Batch, WeightChunks), products = 16 * k * c;
        bool narrow = Narrow(kernel);
        bool biasToo = db is not null && pooledDy.IsGiven;
        var partials = System.Buffers.ArrayPool<float>.Shared.Rent(chunks * products + (biasToo ? g.Batch * k : 0));
        var geometry = g;
        try
        {
            fixed (float* pp = partials)
            {
                float* part = pp, planeSums = pp + (long)chunks * products;
                Threading.For(chunks, chunk =>
                {
                    var gg = geometry;
                    int n0 = (int)((long)chunk * gg.Batch / chunks), n1 = (int)((long)(chunk + 1) * gg.Batch / chunks);
                    var scratch = t_scratch;
                    if (scratch is null || scratch.Length < size) t_scratch = scratch = GC.AllocateUninitializedArray<float>(size);
                    fixed (float* ps = scratch)
                    {
                        float* v = ps, m = v + 16 * vProduct, plane = m + 16 * mProduct, packA = plane + planeRows * PlaneRowFloats;
                        float* packB = packA + packedA, unpooled = packB + packedB;
                        float* du = part + (long)chunk * products;
                        for (int n = n0; n < n1; n++)
                        {
                            TransformImage(gg, x + (long)n * c * gg.ImageSize, plane, tileRows, tileCols, 0, vProduct, v, reluImage, narrow,
                                stride);
                            float* dyn = dy + (long)n * k * gg.OutSize;
                            if (pooledDy.IsGiven) UnpoolPlanes(pooledDy, gg.OutHeight, gg.OutWidth, (long)n * k, k, dyn = unpooled, narrow);
                            if (biasToo)
                                for (int o = 0; o < k; o++)
                                    planeSums[(long)n * k + o] = System.Numerics.Tensors.TensorPrimitives.Sum(
                                        new ReadOnlySpan<float>(unpooled + (long)o * gg.OutSize, gg.OutSize));
                            TransformGradient(gg, dyn, tileRows, tileCols, stride, mProduct, m, narrow);
                            for (int e = 0; e < 16; e++)
                                MultiplyWeightProduct(kernel, k, c, tiles, m + (long)e * mProduct, v + (long)e * vProduct, stride,
                                    du + (long)e * k * c, accumulate: n > n0, packA, packB);
                        }
                    }
                });
                // Threads take separate filters, each adding the chunks in order, then G back: dg = Gᵀ dU G. Eight
                // neighbouring filters at a time, as vectors: one filter alone reads its chunks a page apart.
                int filters = k * c;
                Threading.For((filters + FiltersPerTask - 1) / FiltersPerTask, task =>
                {
                    float* sums = stackalloc float[16 * 8];
                    float* u = stackalloc float[16];
                    int fEnd = Math.Min(filters, (task + 1) * FiltersPerTask);
                    for (int f0 = task * FiltersPerTask; f0 < fEnd; f0 += 8)
                    {
                        int count = Math.Min(8, fEnd - f0);
                        for (int e = 0; e < 16; e++)
                        {
                            float* at = part + (long)e * filters + f0;
                            if (count == 8)
                            {
                                var sum = Vector256.Load(at);
                                for (int chunk = 1; chunk < chunks; chunk++) sum += Vector256.Load(at + (long)chunk * products);
                                sum.Store(sums + e * 8);
                                continue;
                            }
                            for (int j = 0; j < count; j++)
                            {
                                float sum = at[j];
                                for (int chunk = 1; chunk < chunks; chunk++) sum += at[(long)chunk * products + j];
                                sums[e * 8 + j] = sum;
                            }
                        }
                        for (int j = 0; j < count; j++)
                        {
                            for (int e = 0; e < 16; e++) u[e] = sums[e * 8 + j];
                            FilterGradient(u, dw + (long)(f0 + j) * 9);
                        }
                    }
                });
                if (biasToo)
                    for (int o = 0; o < k; o++)
                    {
                        float sum = 0;
                        for (int n = 0; n < g.Batch; n++) sum += planeSums[(long)n * k + o];
                        db[o] = sum;
                    }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>Most partial sums <see cref="BackwardWeight"/> keeps: enough chunks to balance the cores.</summary>
    private const int WeightChunks = 16;

    private const int FiltersPerTask = 256;

    /// <summary>dg = Gᵀ dU G for one filter: the 4×4 gradient of U = G g Gᵀ back to the 3×3 taps.</summary>
    private static unsafe void FilterGradient(float* u, float* g)
    {
        // Gᵀ's rows (G's columns): [1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]; down the columns, then along the rows.
        float* t = stackalloc float[12];
        for (int j = 0; j < 4; j++)
        {
            float u0 = u[j], u1 = u[4 + j], u2 = u[8 + j], u3 = u[12 + j];
            t[j] = u0 + 0.5f * (u1 + u2);
            t[4 + j] = 0.5f * (u1 - u2);
            t[8 + j] = 0.5f * (u1 + u2) + u3;
        }
        for (int a = 0; a < 3; a++)
        {
            float t0 = t[4 * a], t1 = t[4 * a + 1], t2 = t[4 * a + 2], t3 = t[4 * a + 3];
            g[3 * a] = t0 + 0.5f * (t1 + t2);
            g[3 * a + 1] = 0.5f * (t1 - t2);
            g[3 * a + 2] = 0.5f * (t1 + t2) + t3;
        }
    }

    /// <summary>
    /// dM = A dY Aᵀ for every 2×2 block of the output gradient (A = [[1, 0], [1, 1], [1, −1], [0, −1]]): m[e][channel][tile]
    /// with e = 4i + j, rows <paramref name="stride"/> apart and products <paramref name="product"/> apart. Outputs past
    /// the last row or column count as 0.
    /// </summary>
    private static unsafe void TransformGradient(in ConvGeometry g, float* dy, int tileRows, int tileCols, int stride, int product, float* m,
        bool narrow)
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        for (int o = 0; o < g.ColumnChannels; o++)
        {
            float* plane = dy + (long)o * oh * ow;
            if (o + 1 < g.ColumnChannels) PrefetchPlane(plane + (long)oh * ow, oh * ow);
            for (int th = 0; th < tileRows; th++)
            {
                if (narrow)
                {
                    GradientTileRow256(plane + (long)2 * th * ow, 2 * th + 1 < oh ? plane + (long)(2 * th + 1) * ow : null, ow, tileCols,
                        m + (long)o * stride + th * tileCols, product);
                    continue;
                }
                var (a, b) = LoadPairs(plane + (long)2 * th * ow, ow);
                var (cc, d) = 2 * th + 1 < oh ? LoadPairs(plane + (long)(2 * th + 1) * ow, ow) : (Vector512<float>.Zero, Vector512<float>.Zero);
                // Along each row: [y0, y1] Aᵀ = [y0, y0 + y1, y0 − y1, −y1]; then down: rows r0, r0 + r1, r0 − r1, −r1.
                var r00 = a; var r01 = a + b; var r02 = a - b; var r03 = -b;
                var r10 = cc; var r11 = cc + d; var r12 = cc - d; var r13 = -d;
                float* at = m + (long)o * stride + th * tileCols;
                Vector512.Store(r00, at); Vector512.Store(r01, at + product); Vector512.Store(r02, at + 2L * product); Vector512.Store(r03, at + 3L * product);
                Vector512.Store(r00 + r10, at + 4L * product); Vector512.Store(r01 + r11, at + 5L * product);
                Vector512.Store(r02 + r12, at + 6L * product); Vector512.Store(r03 + r13, at + 7L * product);
                Vector512.Store(r00 - r10, at + 8L * product); Vector512.Store(r01 - r11, at + 9L * product);
                Vector512.Store(r02 - r12, at + 10L * product); Vector512.Store(r03 - r13, at + 11L * product);
                Vector512.Store(-r10, at + 12L * product); Vector512.Store(-r11, at + 13L * product);
                Vector512.Store(-r12, at + 14L * product); Vector512.Store(-r13, at + 15L * product);
            }
        }
    }

    /// <summary>One output row of at most 32: its even columns and its odd columns as 16 lanes each (0 past the row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector512<float> Even, Vector512<float> Odd) LoadPairs(float* row, int count)
    {
        Vector512<float> lo, hi;
        if (Avx512F.IsSupported)
        {
            lo = Avx512F.MaskLoad(row, Vector512.LessThan(Lanes, Vector512.Create(count)).AsSingle(), Vector512<float>.Zero);
            hi = Avx512F.MaskLoad(row + 16, Vector512.LessThan(Lanes, Vector512.Create(count - 16)).AsSingle(), Vector512<float>.Zero);
            return (Even(lo, hi), Avx512F.PermuteVar16x32x2(lo, s_odd, hi));
        }
        Span<float> all = stackalloc float[32];
        for (int i = 0; i < count; i++) all[i] = row[i];
        Span<float> even = stackalloc float[16], odd = stackalloc float[16];
        for (int t = 0; t < 16; t++) (even[t], odd[t]) = (all[2 * t], all[2 * t + 1]);
        return (Vector512.Create<float>(even), Vector512.Create<float>(odd));
    }

    private static readonly Vector512<int> s_odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);

    private static long s_calls;
    [ThreadStatic] private static long t_call;
    [ThreadStatic] private static float[]? t_weights;
    [ThreadStatic] private static float[]? t_scratch;

    /// <param name="flipped">The weight is the forward weight [C, K, 3, 3] of the transposed geometry: read it with
    /// its channels swapped and its taps reversed.</param>
    /// <param name="pooled">When given, the output is relu(max_pool2d(y, 2)) instead (see <see cref="ForwardPooled"/>),
    /// with each window's choice in <paramref name="codes"/>, and <paramref name="y"/> is not written.</param>
    /// <param name="pooledX">When given, the image is unpooled from it one sample at a time (backward data of the
    /// fused layers: see <see cref="BackwardDataPooled"/>) and <paramref name="x"/> is not read.</param>
    /// <param name="reluImage">The image is relu(x), taken as it is read (see <see cref="SplitRow"/>).</param>
    /// <param name="pass">What happens to each output before it is stored (see <see cref="OutputPass"/>).</param>
    /// <param name="prepacked">The forward weights already transformed and packed (<see cref="Pack"/>), or null.</param>
    private static unsafe void Run(in ConvGeometry g, float* x, float* w, bool flipped, float* b, float* y,
        float* pooled = null, byte* codes = null, PooledGradient pooledX = default, bool reluImage = false, OutputPass pass = default,
        WinogradWeights? prepacked = null)
    {
        var kernel = Isa.Current;
        var (mr, nr) = Gemm.TileOf(kernel);
        bool narrow = Narrow(kernel);
        int k = g.ColumnChannels, c = g.ImageChannels, mPad = (k + mr - 1) / mr * mr;
        int tileRows = (g.OutHeight + 1) / 2, tileCols = (g.OutWidth + 1) / 2, tiles = tileRows * tileCols;
        // The products run over the tiles rounded up to 16 (the B panels are zero past the last): a last panel then is
        // 16 or 32 wide, whole vectors straight into M. Rows of M hold a vector's worth more than the tiles: the output
        // transform loads a tile row 16 lanes wide.
        int columns = (tiles + 15) / 16 * 16, stride = columns + MaxTileColumns, panels = (tiles + nr - 1) / nr, planeRows = 2 * tileRows + 2;
        // Products lie a cache line further apart than their panels need: at whole multiples of 4 KB (often, as 5 × 32
        // × 32 floats) the 16 streams the image transform writes would share L1 sets and evict each other.
        int panelSize = panels * nr * c + 16, mSize = 16 * mr * stride, bSize = 16 * panelSize;
        int planeSize = planeRows * PlaneRowFloats;
        long call = Interlocked.Increment(ref s_calls);
        var geometry = g;
        if (g.Batch < Threading.NumThreads && !pooledX.IsGiven && Threading.Available > 1)
        {
            RunSplit(g, x, w, flipped, b, y, pooled, codes, reluImage, pass, call, prepacked);
            return;
        }
        Threading.For(g.Batch, sample =>
        {
            var gg = geometry;
            var packedWeights = UsablePack(prepacked, k, c, flipped, mr) ?? PackedWeights(call, w, k, c, flipped, mr, mPad);
            var scratch = t_scratch;
            int size = mSize + bSize + planeSize + (pooledX.IsGiven ? c * gg.ImageSize : 0);
            if (scratch is null || scratch.Length < size) t_scratch = scratch = GC.AllocateUninitializedArray<float>(size);
            fixed (float* pu = packedWeights, ps = scratch)
            {
                float* m = ps, packedB = m + mSize, plane = packedB + bSize, image = x + (long)sample * c * gg.ImageSize;
                if (pooledX.IsGiven) UnpoolPlanes(pooledX, gg.Height, gg.Width, (long)sample * c, c, image = plane + planeSize, narrow);
                TransformImage(gg, image, plane, tileRows, tileCols, nr, panelSize, packedB, reluImage, narrow);
                // One block of output channels (at most MR rows) at a time through all 16 products and straight into
                // the output transform: its M (16 × MR rows) stays in L1 where the whole M would spill out of L2.
                for (int block = 0; block < mPad / mr; block++)
                    Products(gg, kernel, mr, nr, block, pu, mPad, packedB, panelSize, panels, columns, m, stride, tileRows, tileCols,
                        sample, b, y, pooled, codes, pass, narrow);
            }
        });
    }

    /// <summary>Output channels of row block <paramref name="block"/> (<see cref="RowBlock"/>) of one sample: the 16
    /// products of that block, then the output transform (pooled or not) straight from M.</summary>
    private static unsafe void Products(in ConvGeometry g, CpuIsa kernel, int mr, int nr, int block, float* pu, int mPad, float* packedB,
        int panelSize, int panels, int columns, float* m, int stride, int tileRows, int tileCols, int sample, float* b, float* y,
        float* pooled, byte* codes, OutputPass pass, bool narrow)
    {
        int k = g.ColumnChannels, c = g.ImageChannels;
        var (o0, rows) = RowBlock(k, mr, block);
        for (int e = 0; e < 16; e++)
            Gemm.MultiplyPacked(kernel, rows, Math.Min(columns, panels * nr), c, pu + (long)e * mPad * c + (long)block * mr * c, packedB + (long)e * panelSize,
                0, panels, m + (long)e * mr * stride, stride, accumulate: false);
        long at = (long)sample * k * g.OutSize;
        if (pooled is null)
            TransformOutput(g, o0, rows, m, stride, mr, tileRows, tileCols, b, y + at, pass.At(at), narrow);
        else
        {
            long pooledAt = (long)sample * k * (g.OutHeight / 2) * (g.OutWidth / 2);
            TransformOutputPooled(g, o0, rows, m, stride, mr, tileCols, b, pooled + pooledAt, codes + pooledAt, narrow);
        }
    }

    /// <summary>
    /// <see cref="Run"/> for fewer images than cores (inference on one image): per image, the cores transform ranges of
    /// its channels into one shared set of packed B panels, then take output-channel blocks of the products and the
    /// output transform. Every value is computed as in <see cref="Run"/>'s per-image tasks.
    /// </summary>
    private static unsafe void RunSplit(in ConvGeometry g, float* x, float* w, bool flipped, float* b, float* y, float* pooled,
        byte* codes, bool reluImage, OutputPass pass, long call, WinogradWeights? prepacked)
    {
        var kernel = Isa.Current;
        var (mr, nr) = Gemm.TileOf(kernel);
        bool narrow = Narrow(kernel);
        int k = g.ColumnChannels, c = g.ImageChannels, mPad = (k + mr - 1) / mr * mr;
        int tileRows = (g.OutHeight + 1) / 2, tileCols = (g.OutWidth + 1) / 2, tiles = tileRows * tileCols;
        int columns = (tiles + 15) / 16 * 16, stride = columns + MaxTileColumns, panels = (tiles + nr - 1) / nr, planeRows = 2 * tileRows + 2;
        int panelSize = panels * nr * c + 16, mSize = 16 * mr * stride, planeSize = planeRows * PlaneRowFloats;
        int channelTasks = Math.Min(c, Threading.NumThreads), blocks = (k + mr - 1) / mr;
        var shared = System.Buffers.ArrayPool<float>.Shared.Rent(16 * panelSize);
        var geometry = g;
        try
        {
            fixed (float* packedB = shared)
            {
                float* pb = packedB;
                for (int sample = 0; sample < g.Batch; sample++)
                {
                    int n = sample;
                    Threading.For(channelTasks, task =>
                    {
                        var gg = geometry;
                        var scratch = t_scratch;
                        if (scratch is null || scratch.Length < planeSize) t_scratch = scratch = GC.AllocateUninitializedArray<float>(planeSize);
                        fixed (float* plane = scratch)
                            TransformImage(gg, x + (long)n * c * gg.ImageSize, plane, tileRows, tileCols, nr, panelSize, pb, reluImage, narrow,
                                firstChannel: (int)((long)task * c / channelTasks), endChannel: (int)((long)(task + 1) * c / channelTasks));
                    });
                    Threading.For(blocks, block =>
                    {
                        var gg = geometry;
                        var packedWeights = UsablePack(prepacked, k, c, flipped, mr) ?? PackedWeights(call, w, k, c, flipped, mr, mPad);
                        var scratch = t_scratch;
                        if (scratch is null || scratch.Length < mSize) t_scratch = scratch = GC.AllocateUninitializedArray<float>(mSize);
                        fixed (float* pu = packedWeights, m = scratch)
                            Products(gg, kernel, mr, nr, block, pu, mPad, pb, panelSize, panels, columns, m, stride, tileRows, tileCols,
                                n, b, y, pooled, codes, pass, narrow);
                    });
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(shared);
        }
    }

    /// <summary>
    /// This thread's transformed weights U = G g Gᵀ for this call, [16][K][C], each of the 16 packed as GEMM A panels:
    /// made by the thread's first sample of the call and reused by its others. Across calls, a caller that keeps the
    /// weights fixed (inference) passes them packed once instead (<see cref="Pack"/>).
    /// </summary>
    private static unsafe float[] PackedWeights(long call, float* w, int k, int c, bool flipped, int mr, int mPad)
    {
        int size = PackedLength(k, c, mPad);
        var packed = t_weights;
        if (packed is null || packed.Length < size) t_weights = packed = GC.AllocateUninitializedArray<float>(size);
        else if (t_call == call) return packed;
        fixed (float* dst = packed) TransformAndPack(w, k, c, flipped, mr, mPad, dst);
        t_call = call;
        return packed;
    }

    private static int PackedLength(int k, int c, int mPad) => 16 * mPad * c + 16 * k * c;

    /// <summary>The 16 transformed weight matrices U (scratch after the panels), then packed as the GEMM's A panels.</summary>
    private static unsafe void TransformAndPack(float* w, int k, int c, bool flipped, int mr, int mPad, float* dst)
    {
        float* u = dst + 16 * mPad * c;
        for (int o = 0; o < k; o++)
            for (int i = 0; i < c; i++)
                TransformFilter(flipped ? w + ((long)i * k + o) * 9 : w + ((long)o * c + i) * 9, flipped, u + (long)o * c + i, (long)k * c);
        for (int e = 0; e < 16; e++)
            for (int block = 0; block < mPad / mr; block++)
            {
                var (o0, rows) = RowBlock(k, mr, block);
                Gemm.PackAPanels(false, u + (long)e * k * c + (long)o0 * c, c, rows, 0, c, mr, dst + (long)e * mPad * c + (long)block * mr * c);
            }
    }

    /// <summary>
    /// Output channels [Start, Start + Rows) of row block <paramref name="block"/>, each block one packed A panel of
    /// <paramref name="mr"/> rows: whole panels, except that with the AVX2 tile (6 rows) a last block of 1 or 2 rows
    /// and the one before it split their rows evenly (32 channels: blocks of 6, 6, 6, 6, 4 and 4). The 2-row kernel
    /// keeps four sums, one FMA latency's worth short of the units' throughput, where two 4-row blocks keep eight;
    /// every kernel sums in the same order, so the results are the same bits.
    /// </summary>
    internal static (int Start, int Rows) RowBlock(int k, int mr, int block)
    {
        int blocks = (k + mr - 1) / mr, rest = k - (blocks - 1) * mr;
        if (mr != 6 || blocks < 2 || rest > 2 || block < blocks - 2) return (block * mr, Math.Min(mr, k - block * mr));
        int first = (mr + rest + 1) / 2, start = (blocks - 2) * mr;
        return block == blocks - 2 ? (start, first) : (start + first, mr + rest - first);
    }

    /// <summary>
    /// Forward weights [K, C, 3, 3] transformed and packed once, for a caller that runs them many times unchanged
    /// (a layer in evaluation mode): what each call would otherwise make, and the same bits.
    /// </summary>
    /// <param name="large">Pack them for F(4×4) too (<see cref="PackLarge"/>): the geometry takes it.</param>
    internal static unsafe WinogradWeights Pack(ReadOnlySpan<float> weight, int k, int c, bool large = false)
    {
        int mr = Gemm.TileOf(Isa.Current).Mr, mPad = (k + mr - 1) / mr * mr;
        var packed = GC.AllocateUninitializedArray<float>(PackedLength(k, c, mPad));
        fixed (float* w = weight, dst = packed) TransformAndPack(w, k, c, flipped: false, mr, mPad, dst);
        return new WinogradWeights(packed, k, c, mr) { Large = large ? PackLarge(weight, k, c, mr) : null };
    }

    /// <summary>The prepacked weights when they were made for this product (forward, same sizes and GEMM tile), else null.</summary>
    private static float[]? UsablePack(WinogradWeights? prepacked, int k, int c, bool flipped, int mr) =>
        prepacked is { } p && !flipped && p.K == k && p.C == c && p.Mr == mr ? p.Values : null;

    /// <summary>U = G g Gᵀ for one 3×3 filter (reversed when <paramref name="flipped"/>): u[e·stride] for e = 4i + j.</summary>
    private static unsafe void TransformFilter(float* g, bool flipped, float* u, long stride)
    {
        // G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]: rows of G·g first, then the same on their columns.
        float* t = stackalloc float[12];
        for (int j = 0; j < 3; j++)
        {
            float g0 = Tap(g, 0, j, flipped), g1 = Tap(g, 1, j, flipped), g2 = Tap(g, 2, j, flipped);
            t[j] = g0;
            t[3 + j] = 0.5f * (g0 + g1 + g2);
            t[6 + j] = 0.5f * (g0 - g1 + g2);
            t[9 + j] = g2;
        }
        for (int i = 0; i < 4; i++)
        {
            float a = t[3 * i], bb = t[3 * i + 1], cc = t[3 * i + 2];
            u[(4 * i) * stride] = a;
            u[(4 * i + 1) * stride] = 0.5f * (a + bb + cc);
            u[(4 * i + 2) * stride] = 0.5f * (a - bb + cc);
            u[(4 * i + 3) * stride] = cc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Tap(float* g, int i, int j, bool flipped) => flipped ? g[(2 - i) * 3 + 2 - j] : g[i * 3 + j];

    /// <summary>
    /// V = Bᵀ d B for every 4×4 tile d of every channel, written as the GEMM's packed B operands: for product e, tiles
    /// in NR-wide panels of all channels (tile p of channel ch at e·panelSize + (p / NR)·C·NR + ch·NR + p mod NR), zero
    /// past the last tile. Each channel's rows are first split by column parity into <paramref name="plane"/> (see
    /// <see cref="SplitRow"/>), zero outside the image, so padding and a ragged last tile need no tests in the loops
    /// and the transform itself runs in registers on aligned loads.
    /// </summary>
    /// <remarks>
    /// With <paramref name="nr"/> 0 the layout is plain instead, as the weight gradient reads it: tile p of channel ch
    /// of product e at e·<paramref name="panelSize"/> + ch·<paramref name="rowStride"/> + p.
    /// </remarks>
    /// <param name="firstChannel">With <paramref name="endChannel"/>, the channels to transform (all by default): the
    /// cores share one image's channels when there are fewer images than cores.</param>
    private static unsafe void TransformImage(in ConvGeometry g, float* image, float* plane, int tileRows, int tileCols,
        int nr, int panelSize, float* packed, bool relu, bool narrow, int rowStride = 0, int firstChannel = 0, int endChannel = -1)
    {
        float* stage = stackalloc float[StageFloats];
        if (endChannel < 0) endChannel = g.ImageChannels;
        int h = g.Height, w = g.Width, padTop = g.PadTop, c = g.ImageChannels, tiles = tileRows * tileCols, planeRows = 2 * tileRows + 2;
        int tail = nr == 0 ? 0 : tiles % nr, lastPanel = nr == 0 ? 0 : tiles / nr;
        if (tail != 0)
            for (int e = 0; e < 16; e++)
                for (int ch = firstChannel; ch < endChannel; ch++)
                    new Span<float>(packed + (long)e * panelSize + ((long)lastPanel * c + ch) * nr + tail, nr - tail).Clear();
        var picks = new ColumnPicks(g.PadLeft);
        for (int ch = firstChannel; ch < endChannel; ch++)
        {
            float* src = image + (long)ch * h * w;
            if (ch + 1 < endChannel) PrefetchPlane(src + (long)h * w, h * w);
            for (int r = 0; r < planeRows; r++)
            {
                int sr = r - padTop;
                if (sr >= 0 && sr < h && narrow) SplitRow256(src + (long)sr * w, w, g.PadLeft, plane + r * PlaneRowFloats, relu, stage);
                else if (sr >= 0 && sr < h) SplitRow(src + (long)sr * w, w, picks, plane + r * PlaneRowFloats, relu);
                else new Span<float>(plane + r * PlaneRowFloats, PlaneRowFloats).Clear();
            }
            for (int th = 0; th < tileRows; th++)
            {
                // Rows 2·th .. 2·th + 3; vector k of a row holds columns 2t + k, so lane t is tile t's column k.
                float* p0 = plane + 2 * th * PlaneRowFloats, p1 = p0 + PlaneRowFloats, p2 = p1 + PlaneRowFloats, p3 = p2 + PlaneRowFloats;
                if (narrow)
                {
                    TransformTileRow256(p0, p1, p2, p3, th, tileCols, nr, c, ch, packed, panelSize, rowStride);
                    continue;
                }
                // Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]] down the columns, then along the rows.
                var (a0, a1, a2, a3) = ColumnTransform(p0, p1, p2, p3, 0);
                var (b0, b1, b2, b3) = ColumnTransform(p0, p1, p2, p3, 16);
                var (c0, c1, c2, c3) = ColumnTransform(p0, p1, p2, p3, 32);
                var (d0, d1, d2, d3) = ColumnTransform(p0, p1, p2, p3, 48);
                if (nr == 0)
                {
                    // A tile row's 16 lanes run into the next tile row's slots, which that row overwrites after.
                    float* at = packed + (long)ch * rowStride + th * tileCols;
                    StorePlain(a0, b0, c0, d0, at, 0, panelSize);
                    StorePlain(a1, b1, c1, d1, at, 4, panelSize);
                    StorePlain(a2, b2, c2, d2, at, 8, panelSize);
                    StorePlain(a3, b3, c3, d3, at, 12, panelSize);
                    continue;
                }
                int p = th * tileCols, panel = p / nr, offset = p - panel * nr, split = Math.Min(tileCols, nr - offset);
                if (split < tileCols && tileCols - split > nr)
                {
                    // Panels narrower than a tile row (the portable kernel's 8): each lane to its own panel.
                    StoreLanes(a0, b0, c0, d0, packed, c, ch, nr, p, tileCols, 0, panelSize);
                    StoreLanes(a1, b1, c1, d1, packed, c, ch, nr, p, tileCols, 4, panelSize);
                    StoreLanes(a2, b2, c2, d2, packed, c, ch, nr, p, tileCols, 8, panelSize);
                    StoreLanes(a3, b3, c3, d3, packed, c, ch, nr, p, tileCols, 12, panelSize);
                    continue;
                }
                float* first = packed + ((long)panel * c + ch) * nr + offset;
                float* second = packed + ((long)(panel + 1) * c + ch) * nr - split;   // lane t ≥ split lands at t − split
                StorePanels(a0, b0, c0, d0, first, second, 0, panelSize, split, tileCols);
                StorePanels(a1, b1, c1, d1, first, second, 4, panelSize, split, tileCols);
                StorePanels(a2, b2, c2, d2, first, second, 8, panelSize, split, tileCols);
                StorePanels(a3, b3, c3, d3, first, second, 12, panelSize, split, tileCols);
            }
        }
    }

    /// <summary>Asks for the next channel's plane while this one transforms: each is read once, from L3 or memory,
    /// and the prefetcher alone left the transforms waiting on it (a third of the image transform's time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchPlane(float* plane, int count)
    {
        if (!Sse.IsSupported) return;
        for (int i = 0; i < count; i += 16) Sse.Prefetch0(plane + i);
    }

    /// <summary>Floats per split plane row: four vectors, columns 2t, 2t + 1, 2t + 2 and 2t + 3 in lane t.</summary>
    private const int PlaneRowFloats = 64;

    /// <summary>Bᵀ down the columns for vector <paramref name="k"/> (at float offset k) of four plane rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) ColumnTransform(
        float* r0, float* r1, float* r2, float* r3, int k)
    {
        var d0 = Vector512.Load(r0 + k); var d1 = Vector512.Load(r1 + k); var d2 = Vector512.Load(r2 + k); var d3 = Vector512.Load(r3 + k);
        return (d0 - d2, d1 + d2, d2 - d1, d1 - d3);
    }

    /// <summary>B along one column-transformed row, its columns 2t + k as x0 .. x3: four of the 16 products.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) RowTransform(
        Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3) => (x0 - x2, x1 + x2, x2 - x1, x1 - x3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePlain(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3,
        float* at, int e0, long panelSize)
    {
        var (v0, v1, v2, v3) = RowTransform(x0, x1, x2, x3);
        Vector512.Store(v0, at + e0 * panelSize);
        Vector512.Store(v1, at + (e0 + 1) * panelSize);
        Vector512.Store(v2, at + (e0 + 2) * panelSize);
        Vector512.Store(v3, at + (e0 + 3) * panelSize);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePanels(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3,
        float* first, float* second, int e0, long panelSize, int split, int count)
    {
        var (v0, v1, v2, v3) = RowTransform(x0, x1, x2, x3);
        StoreTiles(v0, first, second, e0 * panelSize, split, count);
        StoreTiles(v1, first, second, (e0 + 1) * panelSize, split, count);
        StoreTiles(v2, first, second, (e0 + 2) * panelSize, split, count);
        StoreTiles(v3, first, second, (e0 + 3) * panelSize, split, count);
    }

    private static unsafe void StoreLanes(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3,
        float* packed, int c, int ch, int nr, int p0, int count, int e0, long panelSize)
    {
        var (v0, v1, v2, v3) = RowTransform(x0, x1, x2, x3);
        for (int t = 0; t < count; t++)
        {
            int q = (p0 + t) / nr;
            float* at = packed + ((long)q * c + ch) * nr + (p0 + t - q * nr);
            at[e0 * panelSize] = v0[t];
            at[(e0 + 1) * panelSize] = v1[t];
            at[(e0 + 2) * panelSize] = v2[t];
            at[(e0 + 3) * panelSize] = v3[t];
        }
    }

    /// <summary>Where lane t of split vector k finds plane column 2t + k in a 32-float image row (the plane is the
    /// image shifted right by the left padding), and whether that column lies inside the row's 32 loaded floats.</summary>
    private readonly struct ColumnPicks
    {
        internal readonly Vector512<int> Index0, Index1, Index2, Index3;
        internal readonly Vector512<float> Inside0, Inside1, Inside2, Inside3;
        internal readonly int PadLeft;

        internal ColumnPicks(int padLeft)
        {
            PadLeft = padLeft;
            (Index0, Inside0) = Pick(0 - padLeft);
            (Index1, Inside1) = Pick(1 - padLeft);
            (Index2, Inside2) = Pick(2 - padLeft);
            (Index3, Inside3) = Pick(3 - padLeft);
        }

        private static (Vector512<int>, Vector512<float>) Pick(int shift)
        {
            var column = Lanes * 2 + Vector512.Create(shift);
            var inside = Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, Vector512.Create(32));
            return (column & Vector512.Create(31), inside.AsSingle());
        }
    }

    /// <summary>
    /// One image row of <paramref name="w"/> ≤ 32 floats as a plane row split by column parity: vector k (at
    /// dst + 16k) holds plane columns 2t + k in lane t, zero where that column is padding or past the row. With
    /// <paramref name="relu"/>, of relu(row): the fused layers read a ReLU's input and never write its output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SplitRow(float* row, int w, in ColumnPicks picks, float* dst, bool relu)
    {
        if (Avx512F.IsSupported)
        {
            var lo = Avx512F.MaskLoad(row, Vector512.LessThan(Lanes, Vector512.Create(w)).AsSingle(), Vector512<float>.Zero);
            var hi = Avx512F.MaskLoad(row + 16, Vector512.LessThan(Lanes, Vector512.Create(w - 16)).AsSingle(), Vector512<float>.Zero);
            if (relu) (lo, hi) = (Relu(lo), Relu(hi));
            Vector512.Store(Avx512F.PermuteVar16x32x2(lo, picks.Index0, hi) & picks.Inside0, dst);
            Vector512.Store(Avx512F.PermuteVar16x32x2(lo, picks.Index1, hi) & picks.Inside1, dst + 16);
            Vector512.Store(Avx512F.PermuteVar16x32x2(lo, picks.Index2, hi) & picks.Inside2, dst + 32);
            Vector512.Store(Avx512F.PermuteVar16x32x2(lo, picks.Index3, hi) & picks.Inside3, dst + 48);
            return;
        }
        for (int k = 0; k < 4; k++)
            for (int t = 0; t < 16; t++)
            {
                int column = 2 * t + k - picks.PadLeft;
                float value = column >= 0 && column < w ? row[column] : 0f;
                dst[16 * k + t] = !relu || value > 0 || float.IsNaN(value) ? value : 0f;
            }
    }

    /// <summary>max(v, 0) as <see cref="Elementwise.Relu"/> computes it: NaN kept, −0 and below become +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Relu(Vector512<float> v) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero) | ~Vector512.Equals(v, v), v, Vector512<float>.Zero);

    private static readonly Vector512<int> Lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>Lanes [0, split) of <paramref name="tiles"/> at first[lane], lanes [split, count) at second[lane]
    /// (both offset by <paramref name="product"/>): one tile row into one or two panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreTiles(Vector512<float> tiles, float* first, float* second, long product, int split, int count)
    {
        if (Avx512F.IsSupported)
        {
            Avx512F.MaskStore(first + product, Vector512.LessThan(Lanes, Vector512.Create(split)).AsSingle(), tiles);
            if (split < count)
                Avx512F.MaskStore(second + product,
                    (Vector512.GreaterThanOrEqual(Lanes, Vector512.Create(split)) & Vector512.LessThan(Lanes, Vector512.Create(count))).AsSingle(), tiles);
            return;
        }
        for (int t = 0; t < split; t++) first[product + t] = tiles[t];
        for (int t = split; t < count; t++) second[product + t] = tiles[t];
    }

    /// <summary>
    /// Y = Aᵀ M A for every tile of output channels [o0, o0 + rows), Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], plus the
    /// bias: each tile row gives two output rows, its tiles' two columns interleaved. M holds the block's 16 products,
    /// m[e·MR·stride + row·stride + tile].
    /// </summary>
    private static unsafe void TransformOutput(in ConvGeometry g, int o0, int rows, float* m, int stride, int mr, int tileRows,
        int tileCols, float* bias, float* y, OutputPass pass, bool narrow)
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        long plane16 = (long)mr * stride;
        for (int r = 0; r < rows; r++)
        {
            int o = o0 + r;
            var b = Vector512.Create(bias is null ? 0f : bias[o]);
            float* yo = y + (long)o * oh * ow;
            var po = pass.At((long)o * oh * ow);
            if (narrow)
            {
                var b256 = Vector256.Create(bias is null ? 0f : bias[o]);
                for (int th = 0; th < tileRows; th++)
                    OutputTileRow256(m + (long)r * stride + th * tileCols, plane16, b256, yo, th, oh, ow, tileCols, po);
                continue;
            }
            for (int th = 0; th < tileRows; th++)
            {
                var (y00, y01, y10, y11) = TileOutputs(m + (long)r * stride + th * tileCols, plane16, b);
                StoreRow(yo, 2 * th, oh, ow, y00, y01, po);
                StoreRow(yo, 2 * th + 1, oh, ow, y10, y11, po);
            }
        }
    }

    /// <summary>Aᵀ M A + bias for the 16 tiles of a tile row (M's 16 products <paramref name="plane16"/> apart): each
    /// tile's upper-left, upper-right, lower-left and lower-right outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) TileOutputs(float* src, long plane16,
        Vector512<float> b)
    {
        // Down the columns of each tile: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (rows of M: e = 4·row + column).
        var s00 = Load(src, 0, plane16) + Load(src, 4, plane16) + Load(src, 8, plane16);
        var s01 = Load(src, 1, plane16) + Load(src, 5, plane16) + Load(src, 9, plane16);
        var s02 = Load(src, 2, plane16) + Load(src, 6, plane16) + Load(src, 10, plane16);
        var s03 = Load(src, 3, plane16) + Load(src, 7, plane16) + Load(src, 11, plane16);
        var s10 = Load(src, 4, plane16) - Load(src, 8, plane16) - Load(src, 12, plane16);
        var s11 = Load(src, 5, plane16) - Load(src, 9, plane16) - Load(src, 13, plane16);
        var s12 = Load(src, 6, plane16) - Load(src, 10, plane16) - Load(src, 14, plane16);
        var s13 = Load(src, 7, plane16) - Load(src, 11, plane16) - Load(src, 15, plane16);
        return (s00 + s01 + s02 + b, s01 - s02 - s03 + b, s10 + s11 + s12 + b, s11 - s12 - s13 + b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Load(float* src, int e, long plane16) => Vector512.Load(src + e * plane16);

    /// <summary>Output row <paramref name="r"/> (skipped past the last): even columns from <paramref name="even"/>, odd
    /// from <paramref name="odd"/>, lane t giving columns 2t and 2t + 1, passed through <paramref name="pass"/> (its
    /// pointers at this output plane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow(float* y, int r, int oh, int ow, Vector512<float> even, Vector512<float> odd,
        OutputPass pass = default)
    {
        if (r >= oh) return;
        var (lo, hi) = Interleave(even, odd);
        float* dst = y + (long)r * ow;
        if (pass.Mask is not null)
        {
            var (mLo, mHi) = LoadRow(pass.Mask + (long)r * ow, ow);
            lo = Vector512.GreaterThan(mLo, Vector512<float>.Zero) & lo;
            hi = Vector512.GreaterThan(mHi, Vector512<float>.Zero) & hi;
        }
        if (pass.Residual is not null)
        {
            var (rLo, rHi) = LoadRow(pass.Residual + (long)r * ow, ow);
            (lo, hi) = (lo + rLo, hi + rHi);
        }
        if (pass.Relu) (lo, hi) = (Relu(lo), Relu(hi));
        if (Avx512F.IsSupported)
        {
            if (ow >= 16)
            {
                Vector512.Store(lo, dst);
                Avx512F.MaskStore(dst + 16, Vector512.LessThan(Lanes, Vector512.Create(ow - 16)).AsSingle(), hi);
            }
            else Avx512F.MaskStore(dst, Vector512.LessThan(Lanes, Vector512.Create(ow)).AsSingle(), lo);
            return;
        }
        for (int i = 0; i < Math.Min(ow, 16); i++) dst[i] = lo[i];
        for (int i = 16; i < ow; i++) dst[i] = hi[i - 16];
    }

    /// <summary>A row of at most 32 floats as two vectors, 0 past its end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector512<float>, Vector512<float>) LoadRow(float* row, int count)
    {
        if (Avx512F.IsSupported)
            return (Avx512F.MaskLoad(row, Vector512.LessThan(Lanes, Vector512.Create(count)).AsSingle(), Vector512<float>.Zero),
                Avx512F.MaskLoad(row + 16, Vector512.LessThan(Lanes, Vector512.Create(count - 16)).AsSingle(), Vector512<float>.Zero));
        Span<float> all = stackalloc float[32];
        for (int i = 0; i < count; i++) all[i] = row[i];
        return (Vector512.Create<float>(all[..16]), Vector512.Create<float>(all[16..]));
    }

    private static readonly Vector512<int> s_even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> s_interleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> s_interleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>The even lanes of the 32 values (lo, hi): lanes 0, 2, …, 30.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Even(Vector512<float> lo, Vector512<float> hi)
    {
        if (Avx512F.IsSupported) return Avx512F.PermuteVar16x32x2(lo, s_even, hi);
        Span<float> all = stackalloc float[32];
        lo.CopyTo(all);
        hi.CopyTo(all[16..]);
        Span<float> picked = stackalloc float[16];
        for (int t = 0; t < 16; t++) picked[t] = all[2 * t];
        return Vector512.Create<float>(picked);
    }

    /// <summary>(a0, b0, a1, b1, …, a15, b15) as two vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Lo, Vector512<float> Hi) Interleave(Vector512<float> a, Vector512<float> b)
    {
        if (Avx512F.IsSupported)
            return (Avx512F.PermuteVar16x32x2(a, s_interleaveLow, b), Avx512F.PermuteVar16x32x2(a, s_interleaveHigh, b));
        Span<float> all = stackalloc float[32];
        for (int t = 0; t < 16; t++)
        {
            all[2 * t] = a[t];
            all[2 * t + 1] = b[t];
        }
        return (Vector512.Create<float>(all[..16]), Vector512.Create<float>(all[16..]));
    }

    /// <summary>
    /// What the output transform does to each output value before storing it, each step optional: +0 where
    /// <see cref="Mask"/> (laid out as the output) is not &gt; 0, as <see cref="Elementwise.ReluBackward"/> masks (ReLU's
    /// backward pass over an image gradient, when the image was that ReLU's input); then + <see cref="Residual"/> (laid
    /// out as the output); then relu, as <see cref="Elementwise.Relu"/>. The order is the separate ops' (the convolution
    /// with its bias, the addition, the ReLU), so the values are theirs, to the bit.
    /// </summary>
    internal readonly unsafe struct OutputPass(float* mask, float* residual, bool relu)
    {
        public readonly float* Mask = mask;
        public readonly float* Residual = residual;
        public readonly bool Relu = relu;

        /// <summary>The same pass with its pointers moved on by <paramref name="offset"/> values.</summary>
        public OutputPass At(long offset) => new(Mask is null ? null : Mask + offset, Residual is null ? null : Residual + offset, Relu);
    }
}
