using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// 2-D convolution as im2col + GEMM, in the three directions training needs. Samples run in parallel, each on one core
/// with its own column buffer (a sample's GEMM is big enough to keep a core busy and small enough for its caches);
/// a batch of one instead lets the GEMM split its work over the cores. Batches through 3×3 stride-1 layers with enough
/// channels take <see cref="Winograd"/>'s F(2×2, 3×3) in all three directions instead: 2.25 times fewer multiplies.
/// </summary>
/// <remarks>
/// Layouts are PyTorch's: image [N, ImageChannels, H, W], columns [N, ColumnChannels, OutH, OutW], weight
/// [ColumnChannels, ImageChannels/Groups, KernelH, KernelW]. A transposed convolution's forward pass is
/// <see cref="BackwardData"/> of this geometry and its backward passes are <see cref="Forward"/> and
/// <see cref="BackwardWeight"/>, which is why the kernels are named for the direction, not the layer.
/// </remarks>
public static class Convolution
{
    [ThreadStatic] private static float[]? t_columns;

    /// <summary>columns = weight ⊛ image (+ bias per column channel), then + residual and relu when asked.</summary>
    /// <param name="prepacked">The weights packed for Winograd (<see cref="Winograd.Pack"/>), used when it takes g.</param>
    /// <param name="residual">When not empty (laid out as the columns), added to the convolution's output.</param>
    /// <param name="relu">The output is relu(convolution + residual): a residual block's epilogue, done while each
    /// sample's output is still in cache. The additions and the ReLU are the separate ops', to the bit.</param>
    public static unsafe void Forward(in ConvGeometry g, ReadOnlySpan<float> image, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> columns, WinogradWeights? prepacked = null, ReadOnlySpan<float> residual = default,
        bool relu = false)
    {
        Check(g, image.Length, weight.Length, columns.Length);
        if (!residual.IsEmpty && residual.Length != columns.Length)
            throw new ArgumentException($"Convolution: the residual has {residual.Length} values, the output {columns.Length} ({g}).");
        var geometry = g;
        var isa = Isa.Current;   // read on the calling thread: the workers follow its choice
        fixed (float* px = image, pw = weight, pb = bias, py = columns, pr = residual)
        {
            float* x = px, w = pw, b = pb, y = py, r = pr;
            bool hasBias = !bias.IsEmpty;
            if (Winograd.FitsForward(g))
            {
                Winograd.Forward(g, x, w, hasBias ? b : null, y, prepacked, r, relu);
                return;
            }
            if (g.Batch < Threading.Available && g.PatchSize <= FewTaps
                && 2.0 * g.ColumnChannels * g.OutSize * g.PatchSize >= FewTapsParallelFlops)
            {
                ForwardFewTapsByChannels(g, isa, x, w, hasBias ? b : null, y);
                AddRelu(y, r, (long)g.Batch * g.ColumnChannels * g.OutSize, relu);
                return;
            }
            if (g.Batch < Threading.Available && g.Groups == 1 && !g.IsPointwise && g.PatchSize > FewTaps)
            {
                ForwardByPositions(g, x, w, b, hasBias, y, r, relu);
                return;
            }
            if (g.Groups == 1 && !g.IsPointwise && g.PatchSize > FewTaps)
            {
                ForwardUnfoldedPanels(g, x, w, b, hasBias, y, r, relu);
                return;
            }
            Threading.For(g.Batch, n =>
            {
                var gg = geometry;
                var yn = new Span<float>(y + (long)n * gg.ColumnChannels * gg.OutSize, gg.ColumnChannels * gg.OutSize);
                for (int group = 0; group < gg.Groups; group++)
                {
                    var cols = ImageColumns(gg, x, n, group);
                    var yGroup = yn.Slice(group * gg.ColumnChannelsPerGroup * gg.OutSize);
                    if (gg.PatchSize <= FewTaps)
                    {
                        // The bias goes in as each sum is stored: y + b, the same addition as the pass below.
                        float* groupBias = hasBias ? b + group * gg.ColumnChannelsPerGroup : null;
                        MultiplyFewTaps(isa, gg.ColumnChannelsPerGroup, gg.OutSize, gg.PatchSize, WeightOfGroup(gg, w, group), cols,
                            groupBias, yGroup);
                    }
                    else
                        Gemm.Multiply(false, false, gg.ColumnChannelsPerGroup, gg.OutSize, gg.PatchSize,
                            WeightOfGroup(gg, w, group), gg.PatchSize, cols, gg.OutSize, yGroup, gg.OutSize, accumulate: false);
                }
                if (hasBias && gg.PatchSize > FewTaps)
                    for (int c = 0; c < gg.ColumnChannels; c++)
                    {
                        var row = yn.Slice(c * gg.OutSize, gg.OutSize);
                        TensorPrimitives.Add(row, b[c], row);
                    }
                long sampleAt = (long)n * gg.ColumnChannels * gg.OutSize;
                AddRelu(y + sampleAt, r is null ? null : r + sampleAt, (long)gg.ColumnChannels * gg.OutSize, relu);
            });
        }
    }

    /// <summary>y = relu?(y + residual?), in place over <paramref name="count"/> values: the epilogue of
    /// <see cref="Forward"/> outside Winograd, each step as the separate ops compute it (ReLU as <see cref="Elementwise.Relu"/>).</summary>
    private static unsafe void AddRelu(float* y, float* residual, long count, bool relu)
    {
        if (residual is null && !relu) return;
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= count; i += 16)
            {
                var v = Vector512.Load(y + i);
                if (residual is not null) v += Vector512.Load(residual + i);
                if (relu) v = Winograd.Relu(v);
                v.Store(y + i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8)
            {
                var v = Vector256.Load(y + i);
                if (residual is not null) v += Vector256.Load(residual + i);
                if (relu) v = Winograd.Relu256(v);
                v.Store(y + i);
            }
        for (; i < count; i++)
        {
            float v = y[i];
            if (residual is not null) v += residual[i];
            if (relu && !(v > 0 || float.IsNaN(v))) v = 0f;
            y[i] = v;
        }
    }

    /// <summary>Below this much work (2·channels·positions·taps) a few-taps sample is not worth a fork-join.</summary>
    private const double FewTapsParallelFlops = 2e5;

    /// <summary>
    /// <see cref="Forward"/> of a few-taps convolution (a first layer over a one-channel image) for fewer samples than
    /// threads (batch-1 inference): the threads split each sample's output channels, in blocks of the kernel's four, and
    /// each unfolds the groups it needs itself (a few taps make small columns: cheaper than reading another core's). The
    /// next layer's channel split then finds its channels in the same core's cache. Every value is summed as the
    /// per-sample path sums it.
    /// </summary>
    /// <param name="bias">One value per output channel, or null.</param>
    private static unsafe void ForwardFewTapsByChannels(in ConvGeometry g, CpuIsa isa, float* x, float* w, float* bias, float* y)
    {
        int m = g.ColumnChannels, positions = g.OutSize, taps = g.PatchSize, perGroup = g.ColumnChannelsPerGroup;
        int perTask = ((m + Threading.NumThreads - 1) / Threading.NumThreads + 3) / 4 * 4, tasks = (m + perTask - 1) / perTask;
        var geometry = g;
        Threading.For(g.Batch * tasks, item =>
        {
            var gg = geometry;
            int sample = item / tasks, o0 = item % tasks * perTask, o1 = Math.Min(m, o0 + perTask);
            float* yn = y + (long)sample * m * positions;
            for (int group = o0 / perGroup; group * perGroup < o1; group++)
            {
                int first = Math.Max(o0, group * perGroup), end = Math.Min(o1, (group + 1) * perGroup);
                var cols = ImageColumns(gg, x, sample, group);
                MultiplyFewTaps(isa, end - first, positions, taps, new ReadOnlySpan<float>(w + (long)first * taps, (end - first) * taps),
                    cols, bias is null ? null : bias + first, new Span<float>(yn + (long)first * positions, (end - first) * positions));
            }
        });
    }

    /// <summary>
    /// <see cref="Forward"/> for fewer samples than threads (batch-1 inference): the threads split each sample's output
    /// positions, and each unfolds its own positions of the image straight into its GEMM panels and packs its own copy
    /// of the weight. Columns unfolded on one core and multiplied on another cost more than the multiply here (two
    /// virtual cores need not share a cache), while the image and the weight are small and only read.
    /// </summary>
    private static unsafe void ForwardByPositions(in ConvGeometry g, float* x, float* w, float* b, bool hasBias, float* y, float* r,
        bool relu)
    {
        var kernel = Isa.Current;
        var (mr, nr) = Gemm.TileOf(kernel);
        int m = g.ColumnChannels, n = g.OutSize, k = g.PatchSize, kBlock = Gemm.DepthBlock(k);
        int panels = (n + nr - 1) / nr, tasks = Math.Min(panels, Threading.NumThreads);
        int panelsPerTask = (panels + tasks - 1) / tasks;
        tasks = (panels + panelsPerTask - 1) / panelsPerTask;
        var geometry = g;
        Threading.For(g.Batch * tasks, item =>
        {
            var gg = geometry;
            int sample = item / tasks, p0 = item % tasks * panelsPerTask, pEnd = Math.Min(panels, p0 + panelsPerTask);
            int j0 = p0 * nr, j1 = Math.Min(n, pEnd * nr);
            float* image = x + (long)sample * gg.ImageChannels * gg.ImageSize, yn = y + (long)sample * m * n;
            var buffer = ScratchArray((m + mr - 1) / mr * mr * kBlock + (pEnd - p0) * nr * kBlock);
            fixed (float* packedA = buffer)
            {
                float* packedB = packedA + (m + mr - 1) / mr * mr * kBlock;
                for (int k0 = 0; k0 < k; k0 += kBlock)
                {
                    int kc = Math.Min(kBlock, k - k0);
                    Gemm.PackAPanels(false, w, k, m, k0, kc, mr, packedA);
                    Im2ColPanels(gg, image, k0, kc, j0, j1, nr, packedB);
                    Gemm.MultiplyPacked(kernel, m, n, kc, packedA, packedB, p0, pEnd, yn, n, accumulate: k0 > 0);
                }
            }
            if (hasBias)
                for (int c = 0; c < m; c++)
                {
                    var part = new Span<float>(yn + (long)c * n + j0, j1 - j0);
                    TensorPrimitives.Add(part, b[c], part);
                }
            for (int c = 0; c < m; c++)
            {
                long at = (long)sample * m * n + (long)c * n + j0;
                AddRelu(y + at, r is null ? null : r + at, j1 - j0, relu);
            }
        });
    }

    /// <summary>
    /// <see cref="Forward"/> for batches (one sample a task) of convolutions that need unfolding (strided, padded or
    /// wider than 1×1): each sample's image is unfolded straight into the GEMM's B panels and multiplied by the weight,
    /// packed once per thread and call (<see cref="PackedWeight"/>). A column matrix and a GEMM packing it again, with
    /// the weight packed afresh for every sample, moved each value three times where this moves it once; the K blocks,
    /// kernels and sums are <see cref="Gemm.Multiply"/>'s, so the results are the same bits.
    /// </summary>
    private static unsafe void ForwardUnfoldedPanels(in ConvGeometry g, float* x, float* w, float* b, bool hasBias, float* y,
        float* r, bool relu)
    {
        var kernel = Isa.Current;
        var (mr, nr) = Gemm.TileOf(kernel);
        int m = g.ColumnChannels, n = g.OutSize, k = g.PatchSize, kBlock = Gemm.DepthBlock(k), mPad = (m + mr - 1) / mr * mr;
        int panels = (n + nr - 1) / nr;
        long call = Interlocked.Increment(ref s_calls);
        var geometry = g;
        Threading.For(g.Batch, sample =>
        {
            var gg = geometry;
            var packedWeight = PackedWeight(call, transposed: false, w, k, m, k, kBlock, mr);
            var scratch = ScratchArray(CacheLineFloats + panels * nr * kBlock + ColumnsOffset + k * n);
            float* image = x + (long)sample * gg.ImageChannels * gg.ImageSize, yn = y + (long)sample * m * n;
            fixed (float* packedA = packedWeight, pScratch = scratch)
            {
                float* packedB = AlignToCacheLine(pScratch);
                float* cols = packedB + panels * nr * kBlock + ColumnsOffset;
                Unfold(gg, image, cols, gather: true);
                for (int k0 = 0; k0 < k; k0 += kBlock)
                {
                    int kc = Math.Min(kBlock, k - k0);
                    Gemm.PackBPanels(cols, n, k0, kc, n, nr, packedB);
                    Gemm.MultiplyPacked(kernel, m, n, kc, packedA + (long)mPad * k0, packedB, 0, panels, yn, n, accumulate: k0 > 0);
                }
            }
            if (hasBias)
                for (int c = 0; c < m; c++)
                {
                    var row = new Span<float>(yn + (long)c * n, n);
                    TensorPrimitives.Add(row, b[c], row);
                }
            AddRelu(yn, r is null ? null : r + (long)sample * m * n, (long)m * n, relu);
        });
    }

    /// <summary>
    /// Floats between the packed panels and the columns packed into them: the panels' size is a multiple of 4 KB, and a
    /// load from 4 KB past a store just made waits on that store (packing reads the columns as it writes the panels).
    /// </summary>
    private const int ColumnsOffset = 80;

    /// <summary>Floats in a cache line.</summary>
    internal const int CacheLineFloats = 16;

    /// <summary>
    /// The first cache-line boundary at or after <paramref name="p"/> (a buffer then needs <see cref="CacheLineFloats"/>
    /// more floats). Packed GEMM panels start there: the AVX-512 kernel loads whole 64-byte rows of them, and a row across
    /// two lines costs two loads.
    /// </summary>
    internal static unsafe float* AlignToCacheLine(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>image gradient = weightᵀ ⊛ column gradient, overwriting <paramref name="imageGrad"/>.</summary>
    public static unsafe void BackwardData(in ConvGeometry g, ReadOnlySpan<float> columnsGrad, ReadOnlySpan<float> weight,
        Span<float> imageGrad)
    {
        Check(g, imageGrad.Length, weight.Length, columnsGrad.Length);
        var geometry = g;
        fixed (float* pdy = columnsGrad, pw = weight, pdx = imageGrad)
        {
            float* dy = pdy, w = pw, dx = pdx;
            if (Winograd.Fits(Winograd.Transposed(g)))
            {
                Winograd.BackwardData(g, dy, w, dx);
                return;
            }
            // With fewer samples than threads the per-sample GEMMs below split their work over the threads instead.
            if (g.Batch >= Threading.Available && g.Groups == 1 && !g.IsPointwise)
            {
                BackwardDataPacked(g, dy, w, dx);
                return;
            }
            Threading.For(g.Batch, n =>
            {
                var gg = geometry;
                var dxn = new Span<float>(dx + (long)n * gg.ImageChannels * gg.ImageSize, gg.ImageChannels * gg.ImageSize);
                var dyn = new ReadOnlySpan<float>(dy + (long)n * gg.ColumnChannels * gg.OutSize, gg.ColumnChannels * gg.OutSize);
                int groupImage = gg.ImageChannelsPerGroup * gg.ImageSize;
                if (!gg.IsPointwise) dxn.Clear();
                for (int group = 0; group < gg.Groups; group++)
                {
                    var dyGroup = dyn.Slice(group * gg.ColumnChannelsPerGroup * gg.OutSize);
                    var dxGroup = dxn.Slice(group * groupImage, groupImage);
                    var wGroup = WeightOfGroup(gg, w, group);
                    if (gg.IsPointwise)
                    {
                        Gemm.Multiply(true, false, gg.PatchSize, gg.OutSize, gg.ColumnChannelsPerGroup,
                            wGroup, gg.PatchSize, dyGroup, gg.OutSize, dxGroup, gg.OutSize, accumulate: false);
                        continue;
                    }
                    var dcols = Scratch(gg.PatchSize * gg.OutSize);
                    Gemm.Multiply(true, false, gg.PatchSize, gg.OutSize, gg.ColumnChannelsPerGroup,
                        wGroup, gg.PatchSize, dyGroup, gg.OutSize, dcols, gg.OutSize, accumulate: false);
                    Col2ImAdd(gg, dcols, dxGroup);
                }
            });
        }
    }

    /// <summary>Numbers kernel calls, so that a thread can tell whether the weight it packed last is this call's.</summary>
    private static long s_calls;
    [ThreadStatic] private static long t_packedCall;
    [ThreadStatic] private static float[]? t_packedWeight;

    /// <summary>
    /// This thread's copy of op(weight) [m, k] packed as GEMM A panels, K block after K block (block k0 at
    /// mPad·k0): packed on the thread's first task of <paramref name="call"/> and reused by its other tasks, so a
    /// batch packs the weight once per core instead of once per sample, and no core reads another's copy.
    /// </summary>
    private static unsafe float[] PackedWeight(long call, bool transposed, float* w, int lda, int m, int k, int kBlock, int mr)
    {
        int size = (m + mr - 1) / mr * mr * k;
        var packed = t_packedWeight;
        if (packed is null || packed.Length < size) t_packedWeight = packed = GC.AllocateUninitializedArray<float>(size);
        else if (t_packedCall == call) return packed;
        fixed (float* dst = packed)
            for (int k0 = 0; k0 < k; k0 += kBlock)
                Gemm.PackAPanels(transposed, w, lda, m, k0, Math.Min(kBlock, k - k0), mr, dst + (long)(m + mr - 1) / mr * mr * k0);
        t_packedCall = call;
        return packed;
    }

    /// <summary>
    /// <see cref="BackwardData"/> with weightᵀ packed once per thread and call (<see cref="PackedWeight"/>) rather than
    /// once per sample; each sample's column gradient then scatters back onto its image.
    /// </summary>
    private static unsafe void BackwardDataPacked(in ConvGeometry g, float* dy, float* w, float* dx)
    {
        var kernel = Isa.Current;
        var (mr, nr) = Gemm.TileOf(kernel);
        int m = g.PatchSize, n = g.OutSize, k = g.ColumnChannels, kBlock = Gemm.DepthBlock(k), mPad = (m + mr - 1) / mr * mr;
        int panels = (n + nr - 1) / nr;
        long call = Interlocked.Increment(ref s_calls);
        var geometry = g;
        Threading.For(g.Batch, sample =>
        {
            var gg = geometry;
            var packedWeight = PackedWeight(call, transposed: true, w, m, m, k, kBlock, mr);
            var scratch = ScratchArray(panels * nr * kBlock + m * n);
            float* dyn = dy + (long)sample * k * n;
            fixed (float* packedA = packedWeight, packedB = scratch)
            {
                float* dcols = packedB + panels * nr * kBlock;
                for (int k0 = 0; k0 < k; k0 += kBlock)
                {
                    int kc = Math.Min(kBlock, k - k0);
                    Gemm.PackBPanels(dyn, n, k0, kc, n, nr, packedB);
                    Gemm.MultiplyPacked(kernel, m, n, kc, packedA + (long)mPad * k0, packedB, 0, panels, dcols, n, accumulate: k0 > 0);
                }
                var dxn = new Span<float>(dx + (long)sample * gg.ImageChannels * gg.ImageSize, gg.ImageChannels * gg.ImageSize);
                dxn.Clear();
                Col2ImAdd(gg, new ReadOnlySpan<float>(dcols, m * n), dxn);
            }
        });
    }

    /// <summary>
    /// weight gradient = Σ over samples of column gradient · im2col(image)ᵀ, overwriting <paramref name="weightGrad"/>.
    /// Samples are summed in fixed chunks whose partial sums are added in order, so the result depends on the batch
    /// size only, never on the thread count.
    /// </summary>
    public static unsafe void BackwardWeight(in ConvGeometry g, ReadOnlySpan<float> image, ReadOnlySpan<float> columnsGrad,
        Span<float> weightGrad)
    {
        Check(g, image.Length, weightGrad.Length, columnsGrad.Length);
        if (Winograd.Fits(g))
        {
            fixed (float* px = image, pdy = columnsGrad, pdw = weightGrad) Winograd.BackwardWeight(g, px, pdy, pdw);
            return;
        }
        int chunks = Math.Min(g.Batch, WeightChunks);
        int weightSize = weightGrad.Length;
        float[]? partials = chunks > 1 ? ArrayPool<float>.Shared.Rent(chunks * weightSize) : null;
        var geometry = g;
        try
        {
            fixed (float* px = image, pdy = columnsGrad, pdw = weightGrad, ppart = partials)
            {
                float* x = px, dy = pdy, dw = pdw, part = ppart;
                Threading.For(chunks, chunk =>
                {
                    var gg = geometry;
                    int n0 = (int)((long)chunk * gg.Batch / chunks), n1 = (int)((long)(chunk + 1) * gg.Batch / chunks);
                    var sum = new Span<float>(chunks > 1 ? part + (long)chunk * weightSize : dw, weightSize);
                    for (int n = n0; n < n1; n++)
                    {
                        var dyn = new ReadOnlySpan<float>(dy + (long)n * gg.ColumnChannels * gg.OutSize, gg.ColumnChannels * gg.OutSize);
                        for (int group = 0; group < gg.Groups; group++)
                        {
                            var cols = ImageColumns(gg, x, n, group);
                            int rows = gg.ColumnChannelsPerGroup;
                            var dyGroup = dyn.Slice(group * rows * gg.OutSize);
                            var dwGroup = sum.Slice(group * rows * gg.PatchSize);
                            if (gg.PatchSize <= FewTaps)
                                DotFewTaps(rows, gg.OutSize, gg.PatchSize, dyGroup, cols, dwGroup, accumulate: n > n0);
                            else
                                Gemm.Multiply(false, true, rows, gg.PatchSize, gg.OutSize, dyGroup, gg.OutSize, cols, gg.OutSize,
                                    dwGroup, gg.PatchSize, accumulate: n > n0);
                        }
                    }
                });
            }
            if (partials is null) return;
            // Threads add up separate ranges of the weight, each summing the chunks in order: the order never changes.
            fixed (float* pdw = weightGrad, ppart = partials)
            {
                float* dw = pdw, part = ppart;
                int ranges = (weightSize + ReduceRange - 1) / ReduceRange;
                Threading.For(ranges, r =>
                {
                    int start = r * ReduceRange, length = Math.Min(ReduceRange, weightSize - start);
                    var total = new Span<float>(dw + start, length);
                    new ReadOnlySpan<float>(part + start, length).CopyTo(total);
                    for (int chunk = 1; chunk < chunks; chunk++)
                        TensorPrimitives.Add(total, new ReadOnlySpan<float>(part + (long)chunk * weightSize + start, length), total);
                }, parallel: (long)chunks * weightSize >= 1 << 16);
            }
        }
        finally
        {
            if (partials is not null) ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>
    /// Patches of at most this many taps (a first layer over a 1-channel image: 3×3 = 9) skip the GEMM: with K this
    /// small its tiles are stored after a handful of multiply-adds, and whole-row vector updates run several times faster.
    /// </summary>
    private const int FewTaps = 16;

    /// <summary>
    /// y[o, p] = Σ_t w[o, t] · cols[t, p] (+ bias[o]): a vector of positions at a time (16 with AVX-512, 8 with AVX2), their
    /// taps loaded once and kept while every output channel sums them (a row-at-a-time update would read and write each
    /// output row once per tap). Four output channels go together: a channel's taps are one chain of dependent
    /// multiply-adds, and four independent chains keep the FMA units busy where one waits on each result. Every width
    /// sums the taps in the same order with fused multiply-adds and adds the bias last: the same bits.
    /// </summary>
    /// <param name="bias">One value per output channel, added to each sum as it is stored; null for none.</param>
    private static unsafe void MultiplyFewTaps(CpuIsa isa, int outChannels, int positions, int taps, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> cols, float* bias, Span<float> y)
    {
        fixed (float* pw = weight, pc = cols, py = y)
        {
            int p = 0;
            if (isa == CpuIsa.Avx512 && Vector512.IsHardwareAccelerated)
            {
                var x = stackalloc Vector512<float>[FewTaps];
                for (; p + Vector512<float>.Count <= positions; p += Vector512<float>.Count)
                {
                    for (int t = 0; t < taps; t++) x[t] = Vector512.Load(pc + (long)t * positions + p);
                    int o = 0;
                    for (; o + 4 <= outChannels; o += 4)
                    {
                        float* w0 = pw + o * taps, w1 = w0 + taps, w2 = w1 + taps, w3 = w2 + taps;
                        var x0 = x[0];
                        Vector512<float> s0 = x0 * Vector512.Create(w0[0]), s1 = x0 * Vector512.Create(w1[0]);
                        Vector512<float> s2 = x0 * Vector512.Create(w2[0]), s3 = x0 * Vector512.Create(w3[0]);
                        for (int t = 1; t < taps; t++)
                        {
                            var xt = x[t];
                            s0 = Vector512.FusedMultiplyAdd(xt, Vector512.Create(w0[t]), s0);
                            s1 = Vector512.FusedMultiplyAdd(xt, Vector512.Create(w1[t]), s1);
                            s2 = Vector512.FusedMultiplyAdd(xt, Vector512.Create(w2[t]), s2);
                            s3 = Vector512.FusedMultiplyAdd(xt, Vector512.Create(w3[t]), s3);
                        }
                        if (bias is not null)
                        {
                            s0 += Vector512.Create(bias[o]);
                            s1 += Vector512.Create(bias[o + 1]);
                            s2 += Vector512.Create(bias[o + 2]);
                            s3 += Vector512.Create(bias[o + 3]);
                        }
                        float* yo = py + (long)o * positions + p;
                        s0.Store(yo);
                        s1.Store(yo + positions);
                        s2.Store(yo + 2L * positions);
                        s3.Store(yo + 3L * positions);
                    }
                    for (; o < outChannels; o++)
                    {
                        float* wo = pw + o * taps;
                        var sum = x[0] * Vector512.Create(wo[0]);
                        for (int t = 1; t < taps; t++) sum = Vector512.FusedMultiplyAdd(x[t], Vector512.Create(wo[t]), sum);
                        if (bias is not null) sum += Vector512.Create(bias[o]);
                        sum.Store(py + (long)o * positions + p);
                    }
                }
            }
            else if (isa != CpuIsa.Portable && Isa.InHardware(CpuIsa.Avx2))
            {
                var x = stackalloc Vector256<float>[FewTaps];
                for (; p + Vector256<float>.Count <= positions; p += Vector256<float>.Count)
                {
                    for (int t = 0; t < taps; t++) x[t] = Vector256.Load(pc + (long)t * positions + p);
                    int o = 0;
                    for (; o + 4 <= outChannels; o += 4)
                    {
                        float* w0 = pw + o * taps, w1 = w0 + taps, w2 = w1 + taps, w3 = w2 + taps;
                        var x0 = x[0];
                        Vector256<float> s0 = x0 * Vector256.Create(w0[0]), s1 = x0 * Vector256.Create(w1[0]);
                        Vector256<float> s2 = x0 * Vector256.Create(w2[0]), s3 = x0 * Vector256.Create(w3[0]);
                        for (int t = 1; t < taps; t++)
                        {
                            var xt = x[t];
                            s0 = Vector256.FusedMultiplyAdd(xt, Vector256.Create(w0[t]), s0);
                            s1 = Vector256.FusedMultiplyAdd(xt, Vector256.Create(w1[t]), s1);
                            s2 = Vector256.FusedMultiplyAdd(xt, Vector256.Create(w2[t]), s2);
                            s3 = Vector256.FusedMultiplyAdd(xt, Vector256.Create(w3[t]), s3);
                        }
                        if (bias is not null)
                        {
                            s0 += Vector256.Create(bias[o]);
                            s1 += Vector256.Create(bias[o + 1]);
                            s2 += Vector256.Create(bias[o + 2]);
                            s3 += Vector256.Create(bias[o + 3]);
                        }
                        float* yo = py + (long)o * positions + p;
                        s0.Store(yo);
                        s1.Store(yo + positions);
                        s2.Store(yo + 2L * positions);
                        s3.Store(yo + 3L * positions);
                    }
                    for (; o < outChannels; o++)
                    {
                        float* wo = pw + o * taps;
                        var sum = x[0] * Vector256.Create(wo[0]);
                        for (int t = 1; t < taps; t++) sum = Vector256.FusedMultiplyAdd(x[t], Vector256.Create(wo[t]), sum);
                        if (bias is not null) sum += Vector256.Create(bias[o]);
                        sum.Store(py + (long)o * positions + p);
                    }
                }
            }
            for (; p < positions; p++)   // the same sums, one position at a time
                for (int o = 0; o < outChannels; o++)
                {
                    float* wo = pw + o * taps;
                    float sum = pc[p] * wo[0];
                    for (int t = 1; t < taps; t++) sum = MathF.FusedMultiplyAdd(pc[(long)t * positions + p], wo[t], sum);
                    py[(long)o * positions + p] = bias is null ? sum : sum + bias[o];
                }
        }
    }

    /// <summary>
    /// dw[o, t] (+)= Σ_p dy[o, p] · cols[t, p]: per output channel, all its taps' dot products in one pass over the
    /// positions, a vector of 8 at a time, each tap's sum in a register (a dot product per tap read the channel's
    /// gradient row once per tap, and each call cost its own set-up). The lanes are added at the end, then the
    /// positions past the last whole vector; the order depends on the sizes only.
    /// </summary>
    private static unsafe void DotFewTaps(int outChannels, int positions, int taps, ReadOnlySpan<float> dy, ReadOnlySpan<float> cols,
        Span<float> dw, bool accumulate)
    {
        int whole = Vector256.IsHardwareAccelerated ? positions / 8 * 8 : 0;
        var sums = stackalloc Vector256<float>[FewTaps];
        fixed (float* pdy = dy, pc = cols, pdw = dw)
            for (int o = 0; o < outChannels; o++)
            {
                float* row = pdy + (long)o * positions;
                if (taps == 9)
                    SumNineTaps(row, pc, positions, whole, sums);   // a 3×3 kernel: the nine sums held in registers
                else
                {
                    for (int t = 0; t < taps; t++) sums[t] = Vector256<float>.Zero;
                    for (int p = 0; p < whole; p += 8)
                    {
                        var g = Vector256.Load(row + p);
                        for (int t = 0; t < taps; t++) sums[t] = Vector256.FusedMultiplyAdd(g, Vector256.Load(pc + (long)t * positions + p), sums[t]);
                    }
                }
                for (int t = 0; t < taps; t++)
                {
                    float dot = Vector256.Sum(sums[t]);
                    float* tap = pc + (long)t * positions;
                    for (int p = whole; p < positions; p++) dot = MathF.FusedMultiplyAdd(row[p], tap[p], dot);
                    pdw[o * taps + t] = accumulate ? pdw[o * taps + t] + dot : dot;
                }
            }
    }

    /// <summary><see cref="DotFewTaps"/>'s vector sums for nine taps, in locals (the JIT keeps them in registers, where
    /// an indexed array of sums went through memory on every multiply-add); the same operations in the same order.</summary>
    private static unsafe void SumNineTaps(float* row, float* cols, int positions, int whole, Vector256<float>* sums)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default,
            s7 = default, s8 = default;
        float* c0 = cols, c1 = c0 + positions, c2 = c1 + positions, c3 = c2 + positions, c4 = c3 + positions, c5 = c4 + positions,
            c6 = c5 + positions, c7 = c6 + positions, c8 = c7 + positions;
        for (int p = 0; p < whole; p += 8)
        {
            var g = Vector256.Load(row + p);
            s0 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c0 + p), s0);
            s1 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c1 + p), s1);
            s2 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c2 + p), s2);
            s3 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c3 + p), s3);
            s4 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c4 + p), s4);
            s5 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c5 + p), s5);
            s6 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c6 + p), s6);
            s7 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c7 + p), s7);
            s8 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c8 + p), s8);
        }
        (sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6], sums[7], sums[8]) = (s0, s1, s2, s3, s4, s5, s6, s7, s8);
    }

    /// <summary>Most partial weight gradients <see cref="BackwardWeight"/> keeps: enough chunks to balance the cores.</summary>
    private const int WeightChunks = 16;

    /// <summary>Weights per range when the partial gradients are added up in parallel.</summary>
    private const int ReduceRange = 2048;

    /// <summary>bias gradient[c] = Σ over samples and positions of column gradient[n, c, ·], overwriting it.</summary>
    public static void BackwardBias(in ConvGeometry g, ReadOnlySpan<float> columnsGrad, Span<float> biasGrad) =>
        SumPerChannel(columnsGrad, g.Batch, g.ColumnChannels, g.OutSize, biasGrad);

    /// <summary>sums[c] = Σ over n and positions p of values[n, c, p], in a fixed order.</summary>
    public static unsafe void SumPerChannel(ReadOnlySpan<float> values, int batch, int channels, int size, Span<float> sums)
    {
        fixed (float* pv = values, ps = sums)
        {
            float* v = pv, s = ps;
            // Channels are independent, each summed over the batch in order: the split never changes a sum.
            Threading.For(channels, c =>
            {
                float sum = 0;
                for (int n = 0; n < batch; n++) sum += TensorPrimitives.Sum(new ReadOnlySpan<float>(v + ((long)n * channels + c) * size, size));
                s[c] = sum;
            }, parallel: (long)batch * channels * size >= 1 << 18);
        }
    }

    /// <summary>Sample n's group of image channels as a column matrix [PatchSize, OutSize]: the image itself when 1×1.</summary>
    private static unsafe ReadOnlySpan<float> ImageColumns(in ConvGeometry g, float* image, int n, int group)
    {
        int groupImage = g.ImageChannelsPerGroup * g.ImageSize;
        var img = new ReadOnlySpan<float>(image + ((long)n * g.Groups + group) * groupImage, groupImage);
        if (g.IsPointwise) return img;
        var cols = Scratch(g.PatchSize * g.OutSize);
        Im2Col(g, img, cols);
        return cols;
    }

    private static unsafe ReadOnlySpan<float> WeightOfGroup(in ConvGeometry g, float* weight, int group) =>
        new(weight + (long)group * g.ColumnChannelsPerGroup * g.PatchSize, g.ColumnChannelsPerGroup * g.PatchSize);

    /// <summary>This thread's column buffer, grown when too small and kept for the next call.</summary>
    private static Span<float> Scratch(int length) => ScratchArray(length).AsSpan(0, length);

    /// <inheritdoc cref="Scratch"/>
    private static float[] ScratchArray(int length)
    {
        var buffer = t_columns;
        if (buffer is null || buffer.Length < length) t_columns = buffer = GC.AllocateUninitializedArray<float>(length);
        return buffer;
    }

    /// <summary>
    /// Unfolds one group of one image [Cg, H, W] into columns [Cg·KernelH·KernelW, OutH·OutW]: row (c, ki, kj) holds the
    /// pixel each output position sees through that kernel tap, and 0 where the tap falls into the padding.
    /// </summary>
    public static unsafe void Im2Col(in ConvGeometry g, ReadOnlySpan<float> image, Span<float> columns)
    {
        CheckUnfold(g, image.Length, columns.Length);
        fixed (float* pImage = image, pColumns = columns) Unfold(g, pImage, pColumns, gather: true);
    }

    /// <summary>
    /// The walk <see cref="Im2Col"/> and <see cref="Col2ImAdd"/> share: for each column row (c, ki, kj) and output row,
    /// the run of output columns whose tap lands inside the image. Gathering copies those pixels into the columns and
    /// zeroes the rest; scattering adds the columns back onto the pixels.
    /// </summary>
    /// <remarks>Inlined into both callers, so that each gets a copy with <paramref name="gather"/> fixed and its branches gone.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Unfold(in ConvGeometry g, float* image, float* columns, bool gather)
    {
        int oh = g.OutHeight, ow = g.OutWidth, outSize = oh * ow, h = g.Height, w = g.Width, strideW = g.StrideW, row = 0;
        for (int c = 0; c < g.ImageChannelsPerGroup; c++)
        {
            float* plane = image + (long)c * h * w;
            for (int ki = 0; ki < g.KernelH; ki++)
                for (int kj = 0; kj < g.KernelW; kj++, row++)
                {
                    float* columnRow = columns + (long)row * outSize;
                    int offY = ki * g.DilationH - g.PadTop, offX = kj * g.DilationW - g.PadLeft;
                    var (ox0, ox1) = ValidRange(offX, strideW, w, ow);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        float* d = columnRow + oy * ow;
                        int iy = oy * g.StrideH + offY;
                        if ((uint)iy >= (uint)h)
                        {
                            if (gather) ClearRow(d, ow);
                            continue;
                        }
                        float* pixels = plane + iy * w;
                        if (gather)
                        {
                            ClearRow(d, ox0);
                            ClearRow(d + ox1, ow - ox1);
                            if (strideW == 1) CopyRow(pixels + ox0 + offX, d + ox0, ox1 - ox0);
                            else if (strideW == 2) CopyEveryOther(pixels + offX, d, ox0, ox1, w - offX);
                            else for (int ox = ox0; ox < ox1; ox++) d[ox] = pixels[ox * strideW + offX];
                        }
                        else if (strideW == 1) AddRow(d + ox0, pixels + ox0 + offX, ox1 - ox0);
                        else for (int ox = ox0; ox < ox1; ox++) pixels[ox * strideW + offX] += d[ox];
                    }
                }
        }
    }

    [ThreadStatic] private static float[]? t_line;

    /// <summary>
    /// <see cref="Im2Col"/> of rows [k0, k0 + kc) and output positions [j0, j1) (j0 a multiple of NR) written straight
    /// in the GEMM's packed-B layout: NR-wide panels, k-major, panel p at dst + p·kc·NR, zero past j1.
    /// </summary>
    /// <remarks>
    /// Each column row is unfolded into a contiguous line first, as <see cref="Unfold"/> does, then moved into the
    /// panels NR floats at a time: output rows rarely line up with panels (24 positions into 32-wide panels), and
    /// copying each row's runs across panel edges took 1.7 times as long (60 against 35 µs for the W2 net's second layer).
    /// </remarks>
    private static unsafe void Im2ColPanels(in ConvGeometry g, float* image, int k0, int kc, int j0, int j1, int nr, float* dst)
    {
        int ow = g.OutWidth, h = g.Height, w = g.Width, taps = g.KernelH * g.KernelW, panelStride = kc * nr;
        int length = j1 - j0, panels = (length + nr - 1) / nr, oyFirst = j0 / ow, oyLast = (j1 - 1) / ow;
        var buffer = t_line;
        if (buffer is null || buffer.Length < panels * nr) t_line = buffer = new float[panels * nr];
        fixed (float* line = buffer)
        {
            ClearRow(line + length, panels * nr - length);   // the last panel's columns past j1 stay zero
            for (int kk = 0; kk < kc; kk++)
            {
                int k = k0 + kk, c = k / taps, ki = k % taps / g.KernelW, kj = k % g.KernelW;
                float* plane = image + (long)c * h * w;
                int offY = ki * g.DilationH - g.PadTop, offX = kj * g.DilationW - g.PadLeft;
                var (valid0, valid1) = ValidRange(offX, g.StrideW, w, ow);
                for (int oy = oyFirst; oy <= oyLast; oy++)
                {
                    // Output row oy's columns [ox, oxEnd) inside [j0, j1); d[ox] is position oy·ow + ox's slot.
                    int ox = Math.Max(j0 - oy * ow, 0), oxEnd = Math.Min(j1 - oy * ow, ow);
                    float* d = line + (oy * ow - j0);
                    int iy = oy * g.StrideH + offY;
                    if ((uint)iy >= (uint)h)
                    {
                        ClearRow(d + ox, oxEnd - ox);
                        continue;
                    }
                    int a = Math.Clamp(valid0, ox, oxEnd), e = Math.Clamp(valid1, a, oxEnd); // [a, e): inside the image
                    float* pixels = plane + (long)iy * w;
                    ClearRow(d + ox, a - ox);
                    ClearRow(d + e, oxEnd - e);
                    if (g.StrideW == 1) CopyRow(pixels + a + offX, d + a, e - a);
                    else if (g.StrideW == 2) CopyEveryOther(pixels + offX, d, a, e, w - offX);
                    else for (int o = a; o < e; o++) d[o] = pixels[o * g.StrideW + offX];
                }
                for (int p = 0; p < panels; p++) CopyRow(line + p * nr, dst + (long)p * panelStride + kk * nr, nr);
            }
        }
    }

    /// <summary>The inverse scatter of <see cref="Im2Col"/>: adds each column entry back onto the pixel it came from.</summary>
    public static unsafe void Col2ImAdd(in ConvGeometry g, ReadOnlySpan<float> columns, Span<float> image)
    {
        CheckUnfold(g, image.Length, columns.Length);
        fixed (float* pImage = image, pColumns = columns) Unfold(g, pImage, pColumns, gather: false);
    }

    // The row helpers below move one output row (a feature map's width: tens of floats) at a time. Im2Col and
    // Col2ImAdd make thousands of these moves per sample, and a span method's fixed cost per call took longer than the
    // move itself.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary>
    /// dst[o] = src[2o] for o in [<paramref name="start"/>, <paramref name="end"/>): a stride-2 layer's taps. Eight at a
    /// time from two loads while both stay below <paramref name="limit"/> (the row's end: nothing past it is read), the
    /// rest one by one; a scalar gather took a tenth of the downsampling layers' time.
    /// </summary>
    /// <remarks>The instruction set is this thread's (<see cref="Isa.Current"/>, read per row: a load of a thread-static)
    /// rather than the hardware's, so that a test forcing AVX2 or portable code on this thread runs those branches.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyEveryOther(float* src, float* dst, int start, int end, int limit)
    {
        int o = start;
        var isa = Isa.Current;
        if (isa == CpuIsa.Avx512 && Avx512F.IsSupported)
        {
            var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; o + 16 <= end && 2 * o + 32 <= limit; o += 16)
                Avx512F.PermuteVar16x32x2(Vector512.Load(src + 2 * o), evens, Vector512.Load(src + 2 * o + 16)).Store(dst + o);
        }
        if (isa is CpuIsa.Avx512 or CpuIsa.Avx2 && Avx2.IsSupported)
            for (; o + 8 <= end && 2 * o + 16 <= limit; o += 8)
            {
                // Evens of each 128-bit half, [x0 x2 x8 x10 | x4 x6 x12 x14], then the 64-bit pairs into order.
                var evens = Avx.Shuffle(Avx.LoadVector256(src + 2 * o), Avx.LoadVector256(src + 2 * o + 8), 0x88);
                Avx.Store(dst + o, Avx2.Permute4x64(evens.AsDouble(), 0xD8).AsSingle());
            }
        for (; o < end; o++) dst[o] = src[2 * o];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] += src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ClearRow(float* dst, int n)
    {
        for (int i = 0; i < n; i++) dst[i] = 0f;
    }

    private static void CheckUnfold(in ConvGeometry g, int imageLength, int columnsLength)
    {
        if (imageLength < g.ImageChannelsPerGroup * g.ImageSize || columnsLength < g.PatchSize * g.OutSize)
            throw new ArgumentException(
                $"Convolution: one group needs an image of {g.ImageChannelsPerGroup * g.ImageSize} floats and columns of {g.PatchSize * g.OutSize}, got {imageLength} and {columnsLength} ({g}).");
    }

    /// <summary>Output columns [ox0, ox1) whose input column ox·stride + offset lies inside [0, width).</summary>
    private static (int Start, int End) ValidRange(int offset, int stride, int width, int outWidth)
    {
        int start = offset >= 0 ? 0 : Math.Min(outWidth, (-offset + stride - 1) / stride);
        int end = offset > width - 1 ? 0 : Math.Min(outWidth, (width - 1 - offset) / stride + 1);
        return (start, Math.Max(start, end));
    }

    private static void Check(in ConvGeometry g, int imageLength, int weightLength, int columnsLength)
    {
        if (imageLength != g.Batch * g.ImageChannels * g.ImageSize || columnsLength != g.Batch * g.ColumnChannels * g.OutSize
            || weightLength != g.ColumnChannels * g.PatchSize)
            throw new ArgumentException($"Convolution: buffer lengths (image {imageLength}, weight {weightLength}, columns {columnsLength}) do not match {g}.");
    }
}
