using System.Numerics.Tensors;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// The fast CPU backend: the span kernels of this folder (SIMD with AVX-512, AVX2 and portable paths, threaded over
/// independent outputs) behind the <see cref="Backend"/> seam. Results never depend on the thread count.
/// </summary>
public sealed partial class CpuBackend : Backend
{
    public static CpuBackend Instance { get; } = new();

    private CpuBackend() { }

    public override string Name => "cpu";

    public override bool IsHost => true;

    /// <summary>
    /// The kernels this process runs: "avx512" (512-bit, with AVX-512F), "avx2" (256-bit with FMA) or "portable"
    /// (128-bit or scalar), chosen once at start-up from what the processor accelerates, as the GEMM chooses.
    /// </summary>
    /// <remarks>
    /// Under the JIT that is the best the processor has (less what DOTNET_EnableAVX512=0 and similar switches turn
    /// off); in a NativeAOT binary it is fixed when the binary is compiled, by its instruction set (docs/native.md).
    /// </remarks>
    public static string KernelInstructionSet => Isa.Best switch
    {
        CpuIsa.Avx512 => "avx512",
        CpuIsa.Avx2 => "avx2",
        _ => "portable",
    };

    /// <summary>The values of a storage this backend (or the reference backend: both are host memory) made.</summary>
    private static Span<float> S(Storage s) => ((CpuStorage)s).Span;

    /// <summary>An optional storage's values, or an empty span.</summary>
    private static Span<float> Optional(Storage? s) => s is null ? default : ((CpuStorage)s).Span;

    // ------------------------------------------------------------------ memory

    public override Storage Allocate(int length) =>
        new CpuStorage(length == 0 ? [] : GC.AllocateUninitializedArray<float>(length));

    public override Storage Upload(ReadOnlySpan<float> values) => new CpuStorage(values.ToArray());

    public override void Download(Storage source, Span<float> destination) => S(source).CopyTo(destination);

    public override void Copy(Storage x, Storage y) => S(x).CopyTo(S(y));

    public override void Fill(Storage y, float value) => S(y).Fill(value);

    public override void CopyBlocks(Storage x, int xOffset, int xStride, Storage y, int yOffset, int yStride, int blockLength, int count)
    {
        if (count > 1 && BulkRows.Worth((long)blockLength * count))
        {
            BulkRows.Current.CopyBlocks((CpuStorage)x, xOffset, xStride, (CpuStorage)y, yOffset, yStride, blockLength, count);
            return;
        }
        var src = S(x);
        var dst = S(y);
        for (int i = 0; i < count; i++)
            src.Slice(xOffset + i * xStride, blockLength).CopyTo(dst.Slice(yOffset + i * yStride, blockLength));
    }

    public override void FillBlocks(ReadOnlySpan<float> values, int blockLength, Storage y)
    {
        var dst = S(y);
        for (int i = 0; i < values.Length; i++) dst.Slice(i * blockLength, blockLength).Fill(values[i]);
    }

    public override void Permute(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> perm, Storage y)
    {
        int rank = xShape.Length;
        Span<int> inStrides = stackalloc int[rank];
        Span<int> outDims = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        for (int d = rank - 1, s = 1; d >= 0; d--)
        {
            inStrides[d] = s;
            s *= xShape[d];
        }
        for (int d = 0; d < rank; d++) outDims[d] = xShape[perm[d]];
        var src = S(x);
        var dst = S(y);
        // Trailing axes that stay in place form contiguous runs in both tensors (a batch-first sequence swapping its
        // first two axes moves whole feature rows): copy those runs rather than one float at a time.
        int kept = 0, run = 1;
        while (kept < rank && perm[rank - 1 - kept] == rank - 1 - kept)
        {
            run *= xShape[rank - 1 - kept];
            kept++;
        }
        if (kept > 0 && kept < rank && run >= 4)
        {
            int outer = rank - kept, runs = dst.Length / run;
            if (runs > 1 && BulkRows.Worth(dst.Length) && outer <= BulkRows.MaxRank)
            {
                Span<int> strides = stackalloc int[outer];
                for (int d = 0; d < outer; d++) strides[d] = inStrides[perm[d]];
                BulkRows.Current.PermuteRuns((CpuStorage)x, (CpuStorage)y, outDims[..outer], strides, run);
                return;
            }
            CopyRuns(src, dst, outDims[..outer], inStrides, perm, run, 0, runs);
            return;
        }
        for (int i = 0; i < dst.Length; i++)
        {
            int offset = 0;
            for (int d = 0; d < rank; d++) offset += index[d] * inStrides[perm[d]];
            dst[i] = src[offset];
            for (int d = rank - 1; d >= 0 && ++index[d] == outDims[d]; d--) index[d] = 0;
        }
    }

    /// <summary>
    /// Runs [first, end) of a permutation whose trailing axes stay in place: run r of y (its index over
    /// <paramref name="outerDims"/>, the leading output axes) comes from the input offset Σ index[d]·inStride[perm[d]].
    /// </summary>
    internal static void CopyRuns(ReadOnlySpan<float> src, Span<float> dst, ReadOnlySpan<int> outerDims, ReadOnlySpan<int> inStrides,
        ReadOnlySpan<int> perm, int run, int first, int end)
    {
        int outer = outerDims.Length;
        Span<int> index = stackalloc int[outer];
        for (int d = outer - 1, rest = first; d >= 0; d--)
        {
            index[d] = rest % outerDims[d];
            rest /= outerDims[d];
        }
        for (int r = first; r < end; r++)
        {
            int offset = 0;
            for (int d = 0; d < outer; d++) offset += index[d] * inStrides[perm[d]];
            src.Slice(offset, run).CopyTo(dst.Slice(r * run, run));
            for (int d = outer - 1; d >= 0 && ++index[d] == outerDims[d]; d--) index[d] = 0;
        }
    }

    public override void PadInto(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> before, Storage y, ReadOnlySpan<int> yShape) =>
        PadRows(xShape, yShape, before, S(x), S(y), toPadded: true);

    public override void UnpadFrom(Storage dy, ReadOnlySpan<int> dyShape, ReadOnlySpan<int> before, Storage dx, ReadOnlySpan<int> dxShape) =>
        PadRows(dxShape, dyShape, before, S(dx), S(dy), toPadded: false);

    /// <summary>Copies each last-dimension row of the inner tensor to (or from) its place inside the padded one.</summary>
    private static void PadRows(ReadOnlySpan<int> inner, ReadOnlySpan<int> padded, ReadOnlySpan<int> before, Span<float> innerData,
        Span<float> paddedData, bool toPadded)
    {
        int rank = inner.Length;
        if (innerData.Length == 0) return;
        if (rank == 0)
        {
            if (toPadded) paddedData[0] = innerData[0]; else innerData[0] = paddedData[0];
            return;
        }
        int rowLength = inner[^1], rows = innerData.Length / rowLength;
        Span<int> index = stackalloc int[rank];
        for (int r = 0; r < rows; r++)
        {
            // index = the row's coordinates in the inner tensor (last one 0); offset = where it starts in the padded one.
            int rem = r, stride = padded[^1];
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d] = rem % inner[d];
                rem /= inner[d];
            }
            int offset = before[rank - 1];
            for (int d = rank - 2; d >= 0; d--)
            {
                offset += (index[d] + before[d]) * stride;
                stride *= padded[d];
            }
            var innerRow = innerData.Slice(r * rowLength, rowLength);
            var paddedRow = paddedData.Slice(offset, rowLength);
            if (toPadded) innerRow.CopyTo(paddedRow); else paddedRow.CopyTo(innerRow);
        }
    }

    public override void GatherRows(Storage table, int rowLength, ReadOnlySpan<int> rows, Storage y)
    {
        var w = S(table);
        var dst = S(y);
        for (int i = 0; i < rows.Length; i++) w.Slice(rows[i] * rowLength, rowLength).CopyTo(dst.Slice(i * rowLength, rowLength));
    }

    public override void ScatterAddRows(Storage dy, int rowLength, ReadOnlySpan<int> rows, int skipRow, Storage dTable)
    {
        var dw = S(dTable);
        var g = S(dy);
        dw.Clear();
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] == skipRow) continue;
            var row = dw.Slice(rows[i] * rowLength, rowLength);
            TensorPrimitives.Add(row, g.Slice(i * rowLength, rowLength), row);
        }
    }

    public override void OneHot(Storage indices, int classes, Storage y)
    {
        var idx = S(indices);
        var dst = S(y);
        dst.Clear();
        for (int i = 0; i < idx.Length; i++) dst[i * classes + (int)idx[i]] = 1f;
    }

    // ------------------------------------------------------------------ elementwise

    public override void Binary(BinaryOp op, Storage a, ReadOnlySpan<int> aShape, Storage b, ReadOnlySpan<int> bShape,
        Storage y, ReadOnlySpan<int> yShape)
    {
        if (aShape.SequenceEqual(bShape)) Elementwise.Apply(op, S(a), S(b), S(y));
        else Elementwise.Binary(op, S(a), S(b), S(y), new BroadcastPlan(aShape, bShape, yShape));
    }

    public override void SumTo(Storage g, ReadOnlySpan<int> gShape, Storage t, ReadOnlySpan<int> tShape) =>
        Elementwise.SumTo(S(g), gShape, S(t), tShape);

    public override void BroadcastTo(Storage x, ReadOnlySpan<int> xShape, Storage y, ReadOnlySpan<int> yShape) =>
        Elementwise.BroadcastTo(S(x), xShape, S(y), yShape);

    public override void Accumulate(Storage accumulator, Storage g) => TensorPrimitives.Add(S(accumulator), S(g), S(accumulator));

    // ------------------------------------------------------------------ reductions

    public override void SumAll(Storage x, Storage y) => S(y)[0] = TensorPrimitives.Sum(S(x));

    public override void SumAllScaled(Storage x, double scale, Storage y)
    {
        double sum = 0;
        foreach (float v in S(x)) sum += v;
        S(y)[0] = (float)(sum * scale);
    }

    public override void Sum(Storage x, int outer, int n, int inner, Storage y) => Reduce.Sum(S(x), outer, n, inner, S(y));

    public override void SumRows(Storage x, int rows, int columns, Storage y)
    {
        var src = S(x);
        var dst = S(y);
        if (rows == 0)
        {
            dst.Clear();
            return;
        }
        if (columns >= 32 && BulkRows.Worth((long)rows * columns))
        {
            BulkRows.Current.SumRows((CpuStorage)x, rows, columns, (CpuStorage)y);
            return;
        }
        src[..columns].CopyTo(dst);
        for (int r = 1; r < rows; r++) TensorPrimitives.Add(dst, src.Slice(r * columns, columns), dst);
    }

    public override void Max(Storage x, int outer, int n, int inner, Storage y, Storage argMax) =>
        Reduce.Max(S(x), outer, n, inner, S(y), S(argMax));

    public override void MaxBackward(Storage dy, Storage argMax, int outer, int n, int inner, Storage dx)
    {
        var g = S(dy);
        var at = S(argMax);
        var d = S(dx);
        d.Clear();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                d[(o * n + (int)at[o * inner + i]) * inner + i] = g[o * inner + i];
    }

    public override void Softmax(Storage x, int outer, int n, int inner, Storage y, bool log) =>
        Cpu.Softmax.Forward(S(x), outer, n, inner, S(y), log);

    // ------------------------------------------------------------------ matrix products

    public override void Gemm(bool transA, bool transB, int m, int n, int k, Storage a, int aOffset, int lda,
        Storage b, int bOffset, int ldb, Storage c, int cOffset, int ldc, bool accumulate) =>
        Cpu.Gemm.Multiply(transA, transB, m, n, k, S(a)[aOffset..], lda, S(b)[bOffset..], ldb, S(c)[cOffset..], ldc, accumulate);

    public override void BatchedGemm(bool transA, bool transB, int m, int n, int k, Storage a, ReadOnlySpan<int> aOffsets,
        Storage b, ReadOnlySpan<int> bOffsets, Storage c)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        var sa = S(a);
        var sb = S(b);
        var sc = S(c);
        for (int i = 0; i < aOffsets.Length; i++)
            Cpu.Gemm.Multiply(transA, transB, m, n, k, sa.Slice(aOffsets[i], m * k), lda, sb.Slice(bOffsets[i], k * n), ldb,
                sc.Slice(i * m * n, m * n), n, accumulate: false);
    }

    public override void RepeatRows(Storage row, int rows, Storage y)
    {
        if (rows > 1 && BulkRows.Worth((long)rows * row.Length))
        {
            BulkRows.Current.RepeatRows((CpuStorage)row, rows, (CpuStorage)y);
            return;
        }
        var r = S(row);
        var dst = S(y);
        for (int i = 0; i < rows; i++) r.CopyTo(dst.Slice(i * r.Length, r.Length));
    }

    // ------------------------------------------------------------------ convolution

    public override void ConvForward(in ConvGeometry g, Storage image, Storage weight, Storage? bias, Storage columns,
        PackedWeights? packed = null) =>
        Convolution.Forward(g, S(image), S(weight), Optional(bias), S(columns), packed as WinogradWeights);

    public override void ConvForwardAddRelu(in ConvGeometry g, Storage image, Storage weight, Storage? bias, Storage? residual, bool relu,
        Storage columns, PackedWeights? packed = null) =>
        Convolution.Forward(g, S(image), S(weight), Optional(bias), S(columns), packed as WinogradWeights, Optional(residual), relu);

    public override PackedWeights? PackConvWeights(in ConvGeometry g, Storage weight) =>
        Winograd.FitsForward(g) ? Winograd.Pack(S(weight), g.ColumnChannels, g.ImageChannels, large: Winograd.FitsLargeShape(g)) : null;

    public override void ConvBackwardData(in ConvGeometry g, Storage columnsGrad, Storage weight, Storage imageGrad) =>
        Convolution.BackwardData(g, S(columnsGrad), S(weight), S(imageGrad));

    public override void ConvBackwardWeight(in ConvGeometry g, Storage image, Storage columnsGrad, Storage weightGrad) =>
        Convolution.BackwardWeight(g, S(image), S(columnsGrad), S(weightGrad));

    public override void ConvBackwardBias(in ConvGeometry g, Storage columnsGrad, Storage biasGrad) =>
        Convolution.BackwardBias(g, S(columnsGrad), S(biasGrad));

    public override void SumPerChannel(Storage values, int batch, int channels, int size, Storage sums) =>
        Convolution.SumPerChannel(S(values), batch, channels, size, S(sums));

    public override void AddPerChannel(Storage values, Storage perChannel, int batch, int channels, int size)
    {
        var v = S(values);
        var c = S(perChannel);
        for (int n = 0; n < batch; n++)
            for (int ch = 0; ch < channels; ch++)
            {
                var plane = v.Slice((n * channels + ch) * size, size);
                TensorPrimitives.Add(plane, c[ch], plane);
            }
    }

    public override bool FitsConvReluMaxPool(in ConvGeometry g) => Winograd.FitsPooled(g);

    public override int ConvReluMaxPoolCodeLength(in ConvGeometry g) => (int)((Winograd.PooledCodeBytes(g) + 3) / 4);

    public override unsafe void ConvReluMaxPoolForward(in ConvGeometry g, Storage x, Storage weight, Storage? bias, Storage pooled,
        Storage codes, bool reluInput, PackedWeights? packed = null)
    {
        fixed (float* px = S(x), pw = S(weight), pb = Optional(bias), py = S(pooled), pc = S(codes))
            Winograd.ForwardPooled(g, px, pw, pb, py, (byte*)pc, reluInput, packed as WinogradWeights);
    }

    public override unsafe void ConvReluMaxPoolBackward(in ConvGeometry g, Storage dPooled, Storage codes, Storage? dropMask, Storage x,
        Storage weight, Storage? dx, Storage? dWeight, Storage? dBias, bool reluInput)
    {
        // The convolution's output gradient is rebuilt inside each kernel, a sample at a time, never whole.
        fixed (float* pd = S(dPooled), pc = S(codes), px = S(x), pw = S(weight), pm = Optional(dropMask))
        {
            var source = new Winograd.PooledGradient(pd, (byte*)pc, pm);
            if (dx is not null) fixed (float* pdx = S(dx)) Winograd.BackwardDataPooled(g, source, pw, pdx, reluInput ? px : null);
            // With the weight gradient, the bias gradient comes from the same unpooled planes: one pass, not two.
            fixed (float* pdw = Optional(dWeight), pdb = Optional(dBias))
            {
                if (dWeight is not null) Winograd.BackwardWeightPooled(g, px, source, pdw, reluInput, pdb);
                else if (dBias is not null) Winograd.BiasGradientPooled(g, source, pdb);
            }
        }
    }

    // ------------------------------------------------------------------ pooling and resampling

    public override void MaxPoolForward(in PoolGeometry g, Storage x, Storage y, Storage argMax) =>
        Pooling.MaxForward(g, S(x), S(y), S(argMax));

    public override void MaxPoolBackward(in PoolGeometry g, Storage dy, Storage argMax, Storage dx) =>
        Pooling.MaxBackward(g, S(dy), S(argMax), S(dx));

    public override void AvgPoolForward(in PoolGeometry g, bool countIncludePad, Storage x, Storage y) =>
        Pooling.AvgForward(g, countIncludePad, S(x), S(y));

    public override void AvgPoolBackward(in PoolGeometry g, bool countIncludePad, Storage dy, Storage dx) =>
        Pooling.AvgBackward(g, countIncludePad, S(dy), S(dx));

    public override void AdaptiveAvgPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y) =>
        Resampling.AdaptiveAvgForward(planes, h, w, outH, outW, S(x), S(y));

    public override void AdaptiveAvgPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx) =>
        Resampling.AdaptiveAvgBackward(planes, h, w, outH, outW, S(dy), S(dx));

    public override void UpsampleNearest(int planes, int h, int w, int outH, int outW, Storage x, Storage y) =>
        Resampling.NearestForward(planes, h, w, outH, outW, S(x), S(y));

    public override void UpsampleNearestBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx) =>
        Resampling.NearestBackward(planes, h, w, outH, outW, S(dy), S(dx));

    // ------------------------------------------------------------------ normalisation

    public override void BatchNormTrain(int batch, int channels, int size, Storage x, Storage? gamma, Storage? beta, float eps,
        Storage y, Storage mean, Storage variance, Storage invStd) =>
        Normalization.BatchNormTrain(batch, channels, size, S(x), Optional(gamma), Optional(beta), eps, S(y), S(mean), S(variance), S(invStd));

    public override void BatchNormTrainBackward(int batch, int channels, int size, Storage x, Storage dy, Storage? gamma,
        Storage mean, Storage invStd, Storage? dx, Storage? dGamma, Storage? dBeta) =>
        Normalization.BatchNormTrainBackward(batch, channels, size, S(x), S(dy), Optional(gamma), S(mean), S(invStd),
            Optional(dx), Optional(dGamma), Optional(dBeta));

    public override void UpdateRunningStatistics(Storage runningMean, Storage runningVar, Storage mean, Storage biasedVariance,
        float momentum, float unbias)
    {
        var rm = S(runningMean);
        var rv = S(runningVar);
        var m = S(mean);
        var v = S(biasedVariance);
        for (int c = 0; c < rm.Length; c++)
        {
            rm[c] = (1 - momentum) * rm[c] + momentum * m[c];
            rv[c] = (1 - momentum) * rv[c] + momentum * v[c] * unbias;
        }
    }

    public override void BatchNormEvalCoefficients(Storage runningMean, Storage runningVar, Storage? gamma, Storage? beta, float eps,
        Storage scale, Storage shift, Storage invStd)
    {
        var rm = S(runningMean);
        var rv = S(runningVar);
        var w = Optional(gamma);
        var b = Optional(beta);
        var sc = S(scale);
        var sh = S(shift);
        var inv = S(invStd);
        for (int c = 0; c < rm.Length; c++)
        {
            inv[c] = 1f / MathF.Sqrt(rv[c] + eps);
            sc[c] = (w.IsEmpty ? 1f : w[c]) * inv[c];
            sh[c] = (b.IsEmpty ? 0f : b[c]) - rm[c] * sc[c];
        }
    }

    public override void ScaleShift(int batch, int channels, int size, Storage x, Storage scale, Storage? shift, Storage y)
    {
        if (shift is not null)
        {
            Normalization.ScaleShift(batch, channels, size, S(x), S(scale), S(shift), S(y));
            return;
        }
        var zeros = System.Buffers.ArrayPool<float>.Shared.Rent(channels);
        try
        {
            System.Array.Clear(zeros, 0, channels);
            Normalization.ScaleShift(batch, channels, size, S(x), S(scale), zeros.AsSpan(0, channels), S(y));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(zeros);
        }
    }

    public override void LayerNorm(int rows, int size, Storage x, Storage? gamma, Storage? beta, float eps, Storage y,
        Storage mean, Storage invStd) =>
        Normalization.LayerNorm(rows, size, S(x), Optional(gamma), Optional(beta), eps, S(y), S(mean), S(invStd));

    public override void LayerNormBackward(int rows, int size, Storage x, Storage dy, Storage? gamma, Storage mean, Storage invStd,
        Storage? dx, Storage? dGamma, Storage? dBeta) =>
        Normalization.LayerNormBackward(rows, size, S(x), S(dy), Optional(gamma), S(mean), S(invStd), Optional(dx),
            Optional(dGamma), Optional(dBeta));

    // ------------------------------------------------------------------ dropout

    public override void BernoulliMask(Storage x, Storage mask, Storage y, float p, float keep, ulong seed) =>
        Cpu.BernoulliMask.Apply(S(x), S(mask), S(y), p, keep, seed);
}
