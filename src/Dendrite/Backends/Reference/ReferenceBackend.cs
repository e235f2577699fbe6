namespace Dendrite.Backends.Reference;

/// <summary>
/// The scalar twin of every <see cref="Backend"/> method, written to be obviously right rather than fast (llm.c keeps
/// its naive kernels beside the fast ones for the same reason): one output at a time straight from the definition,
/// sums taken in double, no SIMD, no threads, nothing shared with the CPU kernels. Tests run the ops on it and compare
/// it with the CPU backend method by method.
/// </summary>
/// <remarks>
/// Storages are <see cref="CpuStorage"/>, so it shares host memory with the CPU backend and host code reads its
/// tensors as spans. The fused convolution-ReLU-pooling kernel is declined: the separate ops run.
/// </remarks>
public sealed partial class ReferenceBackend : Backend
{
    public static ReferenceBackend Instance { get; } = new();

    private ReferenceBackend() { }

    public override string Name => "reference";

    public override bool IsHost => true;

    private static Span<float> Values(Storage s) => ((CpuStorage)s).Span;

    private static Span<float> OptionalValues(Storage? s) => s is null ? default : ((CpuStorage)s).Span;

    /// <summary>Row-major strides of a shape: the element count of the dimensions after each one.</summary>
    private static int[] StridesOf(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /// <summary>The multi-index of flat element <paramref name="flat"/> of <paramref name="shape"/>.</summary>
    private static int[] IndexOf(int flat, ReadOnlySpan<int> shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }

    /// <summary>
    /// The flat element of an operand of <paramref name="shape"/> that NumPy broadcasting pairs with output index
    /// <paramref name="outIndex"/>: shapes align at the right, and a size-1 dimension always reads its one element.
    /// </summary>
    private static int BroadcastSource(int[] outIndex, ReadOnlySpan<int> shape)
    {
        var strides = StridesOf(shape);
        int skipped = outIndex.Length - shape.Length;
        int flat = 0;
        for (int d = 0; d < shape.Length; d++)
            if (shape[d] != 1) flat += outIndex[skipped + d] * strides[d];
        return flat;
    }

    private static int Numel(ReadOnlySpan<int> shape)
    {
        int count = 1;
        foreach (int size in shape) count *= size;
        return count;
    }

    // ------------------------------------------------------------------ memory

    public override Storage Allocate(int length) => new CpuStorage(new float[length]);

    public override Storage Upload(ReadOnlySpan<float> values) => new CpuStorage(values.ToArray());

    public override void Download(Storage source, Span<float> destination)
    {
        var x = Values(source);
        for (int i = 0; i < x.Length; i++) destination[i] = x[i];
    }

    public override void Copy(Storage x, Storage y)
    {
        var source = Values(x);
        var target = Values(y);
        for (int i = 0; i < source.Length; i++) target[i] = source[i];
    }

    public override void Fill(Storage y, float value)
    {
        var target = Values(y);
        for (int i = 0; i < target.Length; i++) target[i] = value;
    }

    public override void CopyBlocks(Storage x, int xOffset, int xStride, Storage y, int yOffset, int yStride,
        int blockLength, int count)
    {
        var source = Values(x);
        var target = Values(y);
        for (int block = 0; block < count; block++)
            for (int j = 0; j < blockLength; j++)
                target[yOffset + block * yStride + j] = source[xOffset + block * xStride + j];
    }

    public override void FillBlocks(ReadOnlySpan<float> values, int blockLength, Storage y)
    {
        var target = Values(y);
        for (int block = 0; block < values.Length; block++)
            for (int j = 0; j < blockLength; j++) target[block * blockLength + j] = values[block];
    }

    public override void Permute(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> perm, Storage y)
    {
        var source = Values(x);
        var target = Values(y);
        var inStrides = StridesOf(xShape);
        var outShape = new int[xShape.Length];
        for (int d = 0; d < outShape.Length; d++) outShape[d] = xShape[perm[d]];
        for (int i = 0; i < target.Length; i++)
        {
            // Output index j along dimension d is the input's index along dimension perm[d].
            var outIndex = IndexOf(i, outShape);
            int from = 0;
            for (int d = 0; d < outIndex.Length; d++) from += outIndex[d] * inStrides[perm[d]];
            target[i] = source[from];
        }
    }

    public override void PadInto(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> before, Storage y,
        ReadOnlySpan<int> yShape)
    {
        var inner = Values(x);
        var padded = Values(y);
        for (int i = 0; i < inner.Length; i++) padded[PaddedOffset(i, xShape, before, yShape)] = inner[i];
    }

    public override void UnpadFrom(Storage dy, ReadOnlySpan<int> dyShape, ReadOnlySpan<int> before, Storage dx,
        ReadOnlySpan<int> dxShape)
    {
        var padded = Values(dy);
        var inner = Values(dx);
        for (int i = 0; i < inner.Length; i++) inner[i] = padded[PaddedOffset(i, dxShape, before, dyShape)];
    }

    /// <summary>Where element <paramref name="flat"/> of the inner tensor sits in the padded one.</summary>
    private static int PaddedOffset(int flat, ReadOnlySpan<int> innerShape, ReadOnlySpan<int> before,
        ReadOnlySpan<int> paddedShape)
    {
        var index = IndexOf(flat, innerShape);
        var strides = StridesOf(paddedShape);
        int offset = 0;
        for (int d = 0; d < index.Length; d++) offset += (index[d] + before[d]) * strides[d];
        return offset;
    }

    public override void GatherRows(Storage table, int rowLength, ReadOnlySpan<int> rows, Storage y)
    {
        var w = Values(table);
        var target = Values(y);
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rowLength; j++) target[i * rowLength + j] = w[rows[i] * rowLength + j];
    }

    public override void ScatterAddRows(Storage dy, int rowLength, ReadOnlySpan<int> rows, int skipRow, Storage dTable)
    {
        var g = Values(dy);
        var dw = Values(dTable);
        dw.Clear();
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] == skipRow) continue;
            for (int j = 0; j < rowLength; j++) dw[rows[i] * rowLength + j] += g[i * rowLength + j];
        }
    }

    public override void OneHot(Storage indices, int classes, Storage y)
    {
        var index = Values(indices);
        var target = Values(y);
        for (int i = 0; i < index.Length; i++)
            for (int k = 0; k < classes; k++) target[i * classes + k] = k == (int)index[i] ? 1f : 0f;
    }

    // ------------------------------------------------------------------ elementwise

    public override void Binary(BinaryOp op, Storage a, ReadOnlySpan<int> aShape, Storage b, ReadOnlySpan<int> bShape,
        Storage y, ReadOnlySpan<int> yShape)
    {
        var left = Values(a);
        var right = Values(b);
        var target = Values(y);
        for (int i = 0; i < target.Length; i++)
        {
            var index = IndexOf(i, yShape);
            float u = left[BroadcastSource(index, aShape)];
            float v = right[BroadcastSource(index, bShape)];
            target[i] = op switch
            {
                BinaryOp.Add => u + v,
                BinaryOp.Sub => u - v,
                BinaryOp.Mul => u * v,
                BinaryOp.Div => u / v,
                BinaryOp.Pow => (float)Math.Pow(u, v),
                _ => throw new ArgumentOutOfRangeException(nameof(op), $"reference backend: no binary {op}."),
            };
        }
    }

    public override void SumTo(Storage g, ReadOnlySpan<int> gShape, Storage t, ReadOnlySpan<int> tShape)
    {
        var source = Values(g);
        var sums = new double[Numel(tShape)];
        for (int i = 0; i < source.Length; i++) sums[BroadcastSource(IndexOf(i, gShape), tShape)] += source[i];
        var target = Values(t);
        for (int i = 0; i < sums.Length; i++) target[i] = (float)sums[i];
    }

    public override void BroadcastTo(Storage x, ReadOnlySpan<int> xShape, Storage y, ReadOnlySpan<int> yShape)
    {
        var source = Values(x);
        var target = Values(y);
        for (int i = 0; i < target.Length; i++) target[i] = source[BroadcastSource(IndexOf(i, yShape), xShape)];
    }

    public override void Accumulate(Storage accumulator, Storage g)
    {
        var sum = Values(accumulator);
        var add = Values(g);
        for (int i = 0; i < sum.Length; i++) sum[i] += add[i];
    }

    // ------------------------------------------------------------------ reductions

    public override void SumAll(Storage x, Storage y) => SumAllScaled(x, 1.0, y);

    public override void SumAllScaled(Storage x, double scale, Storage y)
    {
        double sum = 0;
        foreach (float v in Values(x)) sum += v;
        Values(y)[0] = (float)(scale * sum);
    }

    public override void Sum(Storage x, int outer, int n, int inner, Storage y)
    {
        var source = Values(x);
        var target = Values(y);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += source[(o * n + k) * inner + i];
                target[o * inner + i] = (float)sum;
            }
    }

    public override void SumRows(Storage x, int rows, int columns, Storage y) => Sum(x, 1, rows, columns, y);

    public override void Max(Storage x, int outer, int n, int inner, Storage y, Storage argMax)
    {
        var source = Values(x);
        var best = Values(y);
        var at = Values(argMax);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int winner = 0;
                for (int k = 1; k < n; k++)
                    if (Beats(source[(o * n + k) * inner + i], source[(o * n + winner) * inner + i])) winner = k;
                best[o * inner + i] = source[(o * n + winner) * inner + i];
                at[o * inner + i] = winner;
            }
    }

    /// <summary>Whether a later value takes the lead: larger, or the first NaN (NaN wins).</summary>
    private static bool Beats(float candidate, float current) =>
        !float.IsNaN(current) && (candidate > current || float.IsNaN(candidate));

    public override void MaxBackward(Storage dy, Storage argMax, int outer, int n, int inner, Storage dx)
    {
        var g = Values(dy);
        var at = Values(argMax);
        var d = Values(dx);
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < n; k++)
                for (int i = 0; i < inner; i++)
                    d[(o * n + k) * inner + i] = (int)at[o * inner + i] == k ? g[o * inner + i] : 0f;
    }

    public override void Softmax(Storage x, int outer, int n, int inner, Storage y, bool log)
    {
        var source = Values(x);
        var target = Values(y);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                // Shifting by the maximum changes nothing mathematically and keeps every exponent ≤ 0.
                double max = double.NegativeInfinity;
                for (int k = 0; k < n; k++) max = Math.Max(max, source[(o * n + k) * inner + i]);
                double sum = 0;
                for (int k = 0; k < n; k++) sum += Math.Exp(source[(o * n + k) * inner + i] - max);
                for (int k = 0; k < n; k++)
                {
                    double shifted = source[(o * n + k) * inner + i] - max;
                    target[(o * n + k) * inner + i] = (float)(log ? shifted - Math.Log(sum) : Math.Exp(shifted) / sum);
                }
            }
    }

    // ------------------------------------------------------------------ matrix products

    public override void Gemm(bool transA, bool transB, int m, int n, int k, Storage a, int aOffset, int lda,
        Storage b, int bOffset, int ldb, Storage c, int cOffset, int ldc, bool accumulate)
    {
        var left = Values(a);
        var right = Values(b);
        var product = Values(c);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? product[cOffset + i * ldc + j] : 0;
                for (int p = 0; p < k; p++)
                {
                    float aip = transA ? left[aOffset + p * lda + i] : left[aOffset + i * lda + p];
                    float bpj = transB ? right[bOffset + j * ldb + p] : right[bOffset + p * ldb + j];
                    sum += (double)aip * bpj;
                }
                product[cOffset + i * ldc + j] = (float)sum;
            }
    }

    public override void RepeatRows(Storage row, int rows, Storage y)
    {
        var source = Values(row);
        var target = Values(y);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < source.Length; j++) target[r * source.Length + j] = source[j];
    }

    // ------------------------------------------------------------------ dropout

    /// <summary>Elements per independently seeded chunk of a mask: part of the mask stream's definition.</summary>
    private const int MaskChunk = 1 << 14;

    /// <summary>
    /// The mask stream written out one element at a time. Chunk c of <see cref="MaskChunk"/> elements runs four
    /// xoshiro256** generators ("lanes") seeded by SplitMix64 from seed ⊕ c·0xD1B54A32D192ED03: sixteen SplitMix
    /// outputs, word w of lane l being output 4w + l. Each step advances the four lanes in order, and lane l's 64-bit
    /// draw gives elements 2l (low half) and 2l + 1 (high half) of the step's eight; a half's top 24 bits u drop the
    /// element when u·2⁻²⁴ &lt; p, that is u &lt; ⌈p·2²⁴⌉.
    /// </summary>
    public override void BernoulliMask(Storage x, Storage mask, Storage y, float p, float keep, ulong seed)
    {
        var source = Values(x);
        var m = Values(mask);
        var target = Values(y);
        uint threshold = (uint)Math.Ceiling(p * 16777216.0);
        for (int start = 0; start < m.Length; start += MaskChunk)
        {
            ulong chunk = (ulong)(start / MaskChunk);
            ulong seeding = seed ^ (chunk * 0xD1B54A32D192ED03UL);
            var state = new ulong[16];
            for (int i = 0; i < 16; i++) state[i] = Xoshiro256.SplitMix(ref seeding);
            int count = Math.Min(MaskChunk, m.Length - start);
            for (int step = 0; step < count; step += 8)
                for (int lane = 0; lane < 4; lane++)
                {
                    ulong draw = Xoshiro256.Next(
                        ref state[lane], ref state[4 + lane], ref state[8 + lane], ref state[12 + lane]);
                    for (int half = 0; half < 2; half++)
                    {
                        int k = step + 2 * lane + half;
                        if (k >= count) continue;
                        uint u = (uint)(draw >> (32 * half)) >> 8;
                        float value = u < threshold ? 0f : keep;
                        m[start + k] = value;
                        target[start + k] = source[start + k] * value;
                    }
                }
        }
    }
}
