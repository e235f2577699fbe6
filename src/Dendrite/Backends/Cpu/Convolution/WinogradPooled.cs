using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// Convolution → ReLU → 2×2 max pooling in one pass: Winograd's 2×2 output tiles are exactly the pooling windows, so
/// the output transform keeps each window's maximum and the full-size activation is never written (in the W2 net 9.4 MB
/// each way, and two passes over it). Values and gradients are those of the three layers run one after another, to the bit.
/// </summary>
internal static partial class Winograd
{
    /// <summary>Whether <see cref="ForwardPooled"/> takes <paramref name="g"/>: Winograd's convolution both ways, at any
    /// batch size (the backward passes rebuild the output gradient inside its kernels), with at least one whole
    /// pooling window.</summary>
    internal static bool FitsPooled(in ConvGeometry g) =>
        FitsForward(g) && FitsForward(Transposed(g)) && g.OutHeight >= 2 && g.OutWidth >= 2;

    /// <summary>Bytes <see cref="ForwardPooled"/> writes to its codes, and a vector's worth more that
    /// <see cref="UnpoolPlanes"/> may read past the last.</summary>
    internal static long PooledCodeBytes(in ConvGeometry g) => (long)g.Batch * g.ColumnChannels * (g.OutHeight / 2) * (g.OutWidth / 2) + 16;

    /// <summary>Window position that receives no gradient: ReLU closed it (the maximum was ≤ 0 or NaN).</summary>
    private const int Closed = 4;

    /// <summary>
    /// pooled = relu(max_pool2d(weight ⊛ image + bias, 2)), [N, K, ⌊OH/2⌋, ⌊OW/2⌋], for a geometry <see cref="Shape"/>
    /// accepts. The maximum is the first largest of each window in row order, or its first NaN, as
    /// <see cref="Pooling.MaxForward"/> picks it; ReLU is max(·, 0), NaN kept. <paramref name="codes"/> gets, per
    /// pooled output, the chosen position (2·row + column) or <see cref="Closed"/>.
    /// </summary>
    /// <param name="reluInput">The convolution reads relu(x), computed as it reads: [ReLU, Conv2d, ReLU, MaxPool2d].</param>
    internal static unsafe void ForwardPooled(in ConvGeometry g, float* x, float* w, float* b, float* pooled, byte* codes, bool reluInput,
        WinogradWeights? prepacked = null) =>
        Run(g, x, w, flipped: false, b, null, pooled, codes, reluImage: reluInput, prepacked: prepacked);

    /// <summary>The fused layers' output gradient [N, K, ⌊OH/2⌋, ⌊OW/2⌋] and <see cref="ForwardPooled"/>'s codes, from
    /// which the convolution's output gradient is rebuilt a sample at a time, in cache, never whole; with a dropout
    /// after the pooling, its scaled mask (same layout), by which the gradient is first multiplied, as
    /// <see cref="F.Dropout"/>'s backward pass multiplies it.</summary>
    internal readonly unsafe struct PooledGradient(float* gradient, byte* codes, float* dropoutMask = null)
    {
        internal readonly float* Gradient = gradient;
        internal readonly byte* Codes = codes;
        internal readonly float* DropoutMask = dropoutMask;
        internal bool IsGiven => Gradient != null;
    }

    /// <summary>
    /// The image gradient of the fused layers, as <see cref="BackwardData"/> given the convolution's output gradient
    /// that ReLU's and max pooling's backward passes would make from <paramref name="dPooled"/>: each sample's rebuilt
    /// by <see cref="UnpoolPlanes"/> on its core.
    /// </summary>
    /// <param name="reluInput">When given, the layers' input x was a ReLU's input (see <see cref="ForwardPooled"/>): the
    /// gradient is written where x &gt; 0 only, ReLU's backward pass included.</param>
    internal static unsafe void BackwardDataPooled(in ConvGeometry g, in PooledGradient dPooled, float* w, float* dx, float* reluInput) =>
        Run(Transposed(g), null, w, flipped: true, null, dx, pooledX: dPooled, pass: new OutputPass(reluInput, null, false));

    /// <summary>The weight gradient of the fused layers, as <see cref="BackwardWeight"/> (see <see cref="BackwardDataPooled"/>),
    /// and their bias gradient when <paramref name="db"/> is given, as <see cref="BiasGradientPooled"/> computes it.</summary>
    internal static unsafe void BackwardWeightPooled(in ConvGeometry g, float* x, in PooledGradient dPooled, float* dw, bool reluInput,
        float* db = null) =>
        BackwardWeight(g, x, null, dw, dPooled, reluInput, db);

    /// <summary>
    /// The bias gradient of the fused layers: <see cref="Convolution.SumPerChannel"/> over the rebuilt output gradient,
    /// plane by plane in the same order, so the sums are its sums to the bit.
    /// </summary>
    internal static unsafe void BiasGradientPooled(in ConvGeometry g, PooledGradient source, float* db)
    {
        int k = g.ColumnChannels, batch = g.Batch, oh = g.OutHeight, ow = g.OutWidth;
        bool narrow = Narrow(Isa.Current);
        Threading.For(k, o =>
        {
            // One plane of scratch: tall images (only their rows are bounded) would not fit on the stack.
            var scratch = t_biasPlane;
            if (scratch is null || scratch.Length < oh * ow) t_biasPlane = scratch = GC.AllocateUninitializedArray<float>(oh * ow);
            float sum = 0;
            fixed (float* plane = scratch)
                for (int n = 0; n < batch; n++)
                {
                    UnpoolPlanes(source, oh, ow, (long)n * k + o, 1, plane, narrow);
                    sum += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(plane, oh * ow));
                }
            db[o] = sum;
        }, parallel: (long)batch * k * oh * ow >= 1 << 18);
    }

    [ThreadStatic] private static float[]? t_biasPlane;

    /// <summary>
    /// Planes [p0, p0 + count) of the convolution's output gradient (each <paramref name="oh"/> × <paramref name="ow"/>,
    /// written from <paramref name="dy"/> on): each pooled gradient at its window's chosen position, zero elsewhere. It
    /// is what ReLU's and <see cref="Pooling.MaxBackward"/>'s backward passes give, their 0 + gradient included (−0
    /// arrives as +0).
    /// </summary>
    private static unsafe void UnpoolPlanes(in PooledGradient source, int oh, int ow, long p0, int count, float* dy, bool narrow)
    {
        int ph = oh / 2, pw = ow / 2;
        var zero = Vector512<float>.Zero;
        for (int i = 0; i < count; i++)
        {
            float* src = source.Gradient + (p0 + i) * ph * pw, dst = dy + (long)i * oh * ow;
            float* drop = source.DropoutMask is null ? null : source.DropoutMask + (p0 + i) * ph * pw;
            byte* code = source.Codes + (p0 + i) * ph * pw;
            for (int th = 0; th < ph; th++)
            {
                if (narrow)
                {
                    UnpoolRow256(src + th * pw, code + th * pw, drop is null ? null : drop + th * pw, pw, dst, th, oh, ow);
                    continue;
                }
                var (d, at) = LoadPooledRow(src + th * pw, code + th * pw, pw);
                if (drop is not null) d *= LoadRow(drop + th * pw, pw).Item1;
                var upperEven = Vector512.ConditionalSelect(Vector512.Equals(at, Vector512<int>.Zero).AsSingle(), d, zero) + zero;
                var upperOdd = Vector512.ConditionalSelect(Vector512.Equals(at, Vector512.Create(1)).AsSingle(), d, zero) + zero;
                var lowerEven = Vector512.ConditionalSelect(Vector512.Equals(at, Vector512.Create(2)).AsSingle(), d, zero) + zero;
                var lowerOdd = Vector512.ConditionalSelect(Vector512.Equals(at, Vector512.Create(3)).AsSingle(), d, zero) + zero;
                StoreRow(dst, 2 * th, oh, ow, upperEven, upperOdd);
                StoreRow(dst, 2 * th + 1, oh, ow, lowerEven, lowerOdd);
            }
            if (oh > 2 * ph) new Span<float>(dst + (long)(oh - 1) * ow, ow).Clear();   // an odd last row no window covers
        }
    }

    /// <summary>A row of <paramref name="count"/> ≤ 16 pooled gradients (0 past it) and their codes (anything past it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector512<float>, Vector512<int>) LoadPooledRow(float* gradient, byte* code, int count)
    {
        if (Avx512F.IsSupported)
            return (Avx512F.MaskLoad(gradient, Vector512.LessThan(Lanes, Vector512.Create(count)).AsSingle(), Vector512<float>.Zero),
                Avx512F.ConvertToVector512Int32(Vector128.Load(code)));
        Span<float> d = stackalloc float[16];
        Span<int> at = stackalloc int[16];
        for (int t = 0; t < count; t++) (d[t], at[t]) = (gradient[t], code[t]);
        return (Vector512.Create<float>(d), Vector512.Create<int>(at));
    }

    /// <summary>
    /// The pooled output transform: as <see cref="TransformOutput"/> for output channels [o0, o0 + rows), each tile's
    /// four outputs then reduced to relu(their first maximum), with its code. Tile rows past ⌊OH/2⌋ and tiles past
    /// ⌊OW/2⌋ (half windows) are dropped, as max pooling without ceil mode drops them.
    /// </summary>
    private static unsafe void TransformOutputPooled(in ConvGeometry g, int o0, int rows, float* m, int stride, int mr, int tileCols,
        float* bias, float* pooled, byte* codes, bool narrow)
    {
        int ph = g.OutHeight / 2, pw = g.OutWidth / 2;
        long plane16 = (long)mr * stride;
        for (int r = 0; r < rows; r++)
        {
            int o = o0 + r;
            var b = Vector512.Create(bias is null ? 0f : bias[o]);
            float* po = pooled + (long)o * ph * pw;
            byte* co = codes + (long)o * ph * pw;
            if (narrow)
            {
                var b256 = Vector256.Create(bias is null ? 0f : bias[o]);
                for (int th = 0; th < ph; th++)
                    PooledTileRow256(m + (long)r * stride + th * tileCols, plane16, b256, po + th * pw, co + th * pw, pw);
                continue;
            }
            for (int th = 0; th < ph; th++)
            {
                // TransformOutput's sums: the pooled values are the unpooled ones' bits.
                var (y00, y01, y10, y11) = TileOutputs(m + (long)r * stride + th * tileCols, plane16, b);
                var (best, at) = FirstMax(y00, y01, y10, y11);
                // ReLU as TensorPrimitives.Max(x, 0): NaN stays, everything ≤ 0 (−0 too) becomes +0 and passes no gradient.
                var open = Vector512.GreaterThan(best, Vector512<float>.Zero);
                var kept = open | ~Vector512.Equals(best, best);
                StorePooledRow(po + th * pw, co + th * pw, pw, Vector512.ConditionalSelect(kept, best, Vector512<float>.Zero),
                    Vector512.ConditionalSelect(open.AsInt32(), at, Vector512.Create(Closed)));
            }
        }
    }

    /// <summary>
    /// The first largest of each window (a, b above; c, d below), or its first NaN, with its position 0–3: the rule of
    /// <see cref="Pooling.MaxForward"/>, lane by lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Best, Vector512<int> At) FirstMax(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        var best = a;
        var at = Vector512<int>.Zero;
        (best, at) = Take(Vector512.GreaterThan(b, best), b, 1, best, at);
        (best, at) = Take(Vector512.GreaterThan(c, best), c, 2, best, at);
        (best, at) = Take(Vector512.GreaterThan(d, best), d, 3, best, at);
        // A NaN beats every number and the first NaN beats the others: taken last to first, the first is taken last.
        (best, at) = Take(~Vector512.Equals(d, d), d, 3, best, at);
        (best, at) = Take(~Vector512.Equals(c, c), c, 2, best, at);
        (best, at) = Take(~Vector512.Equals(b, b), b, 1, best, at);
        return Take(~Vector512.Equals(a, a), a, 0, best, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<int>) Take(Vector512<float> where, Vector512<float> value, int position,
        Vector512<float> best, Vector512<int> at) =>
        (Vector512.ConditionalSelect(where, value, best), Vector512.ConditionalSelect(where.AsInt32(), Vector512.Create(position), at));

    private static readonly Vector128<byte> ByteLanes = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>Lanes [0, count) of a pooled row and of its codes, one byte each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePooledRow(float* pooled, byte* codes, int count, Vector512<float> values, Vector512<int> at)
    {
        if (Avx512F.IsSupported && Avx512BW.VL.IsSupported)
        {
            Avx512F.MaskStore(pooled, Vector512.LessThan(Lanes, Vector512.Create(count)).AsSingle(), values);
            Avx512BW.VL.MaskStore(codes, Vector128.LessThan(ByteLanes, Vector128.Create((byte)count)), Avx512F.ConvertToVector128Byte(at));
            return;
        }
        for (int t = 0; t < count; t++) (pooled[t], codes[t]) = (values[t], (byte)at[t]);
    }
}
