using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Dendrite.Backends.Cpu;


/// <summary>Elementwise kernels over spans; binary ones follow a <see cref="BroadcastPlan"/>.</summary>
internal static class Elementwise
{
    /// <summary>y = a ∘ b with broadcasting: y has the plan's result shape, a and b their own.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, BroadcastPlan plan)
    {
        int inner = plan.Inner, runs = plan.OuterCount;
        for (int run = 0; run < runs; run++)
        {
            var (oa, ob) = plan.Offsets(run);
            var dst = y.Slice(run * inner, inner);
            switch (plan.AInnerStride, plan.BInnerStride)
            {
                case (1, 1): Apply(op, a.Slice(oa, inner), b.Slice(ob, inner), dst); break;
                case (1, 0): Apply(op, a.Slice(oa, inner), b[ob], dst); break;
                case (0, 1): Apply(op, a[oa], b.Slice(ob, inner), dst); break;
                default: dst.Fill(Apply(op, a[oa], b[ob])); break;
            }
        }
    }

    public static void Apply(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case BinaryOp.Div: TensorPrimitives.Divide(a, b, y); break;
            case BinaryOp.Pow: TensorPrimitives.Pow(a, b, y); break;
        }
    }

    public static void Apply(BinaryOp op, ReadOnlySpan<float> a, float b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case BinaryOp.Div: TensorPrimitives.Divide(a, b, y); break;
            case BinaryOp.Pow: TensorPrimitives.Pow(a, b, y); break;
        }
    }

    public static void Apply(BinaryOp op, float a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(b, a, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(b, a, y); break;
            case BinaryOp.Div: TensorPrimitives.Divide(a, b, y); break;
            case BinaryOp.Pow: TensorPrimitives.Pow(a, b, y); break;
        }
    }

    public static float Apply(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        _ => MathF.Pow(a, b),
    };

    /// <summary>dx = dy where x &gt; 0, else 0: ReLU's backward, vectorised (it runs on every hidden activation).</summary>
    public static unsafe void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (x.Length < ParallelLength || Threading.Available == 1)
        {
            ReluBackwardRange(x, dy, dx);
            return;
        }
        fixed (float* px = x, pdy = dy, pdx = dx)
        {
            float* xs = px, gs = pdy, ds = pdx;
            int n = x.Length, chunks = Threading.NumThreads * 2;
            Threading.For(chunks, c =>
            {
                var (start, length) = Chunk(n, chunks, c);
                ReluBackwardRange(new ReadOnlySpan<float>(xs + start, length), new ReadOnlySpan<float>(gs + start, length),
                    new Span<float>(ds + start, length));
            });
        }
    }

    /// <summary>y = max(x, 0), in parallel chunks for long inputs (a conv layer's activations: millions of values).</summary>
    public static unsafe void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length < ParallelLength || Threading.Available == 1)
        {
            TensorPrimitives.Max(x, 0f, y);
            return;
        }
        fixed (float* px = x, py = y)
        {
            float* xs = px, ys = py;
            int n = x.Length, chunks = Threading.NumThreads * 2;
            Threading.For(chunks, c =>
            {
                var (start, length) = Chunk(n, chunks, c);
                TensorPrimitives.Max(new ReadOnlySpan<float>(xs + start, length), 0f, new Span<float>(ys + start, length));
            });
        }
    }

    /// <summary>
    /// Below this many values one core streams an elementwise op faster than a fork-join costs; above it (a conv
    /// layer's activations) the cores share it. Each value's result is the same however the range is split.
    /// </summary>
    private const int ParallelLength = 1 << 18;

    private static (int Start, int Length) Chunk(int length, int chunks, int c)
    {
        int start = (int)((long)c * length / chunks), end = (int)((long)(c + 1) * length / chunks);
        return (start, end - start);
    }

    private static void ReluBackwardRange(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<float>.Count <= x.Length; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(x.Slice(i, Vector512<float>.Count)), Vector512<float>.Zero);
                (mask & Vector512.Create(dy.Slice(i, Vector512<float>.Count))).CopyTo(dx.Slice(i));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(x.Slice(i, Vector256<float>.Count)), Vector256<float>.Zero);
                (mask & Vector256.Create(dy.Slice(i, Vector256<float>.Count))).CopyTo(dx.Slice(i));
            }
        }
        for (; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : 0f;
    }

    /// <summary>
    /// t = the sum of g over the dimensions in which t's shape broadcasts to g's: the reverse of broadcasting,
    /// which is how a broadcast input's gradient is formed.
    /// </summary>
    public static void SumTo(ReadOnlySpan<float> g, ReadOnlySpan<int> gShape, Span<float> t, ReadOnlySpan<int> tShape)
    {
        t.Clear();
        var plan = new BroadcastPlan(tShape, gShape, gShape);
        int inner = plan.Inner, runs = plan.OuterCount;
        for (int run = 0; run < runs; run++)
        {
            var (ot, og) = plan.Offsets(run);
            var src = g.Slice(og, inner);
            if (plan.AInnerStride == 1) TensorPrimitives.Add(t.Slice(ot, inner), src, t.Slice(ot, inner));
            else t[ot] += TensorPrimitives.Sum(src);
        }
    }

    /// <summary>y = x repeated along the dimensions where x's shape is 1 (or missing) and y's is not.</summary>
    public static void BroadcastTo(ReadOnlySpan<float> x, ReadOnlySpan<int> xShape, Span<float> y, ReadOnlySpan<int> yShape)
    {
        var plan = new BroadcastPlan(xShape, yShape, yShape);
        int inner = plan.Inner, runs = plan.OuterCount;
        for (int run = 0; run < runs; run++)
        {
            var (ox, _) = plan.Offsets(run);
            var dst = y.Slice(run * inner, inner);
            if (plan.AInnerStride == 1) x.Slice(ox, inner).CopyTo(dst);
            else dst.Fill(x[ox]);
        }
    }
}
