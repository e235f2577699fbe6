using System.Numerics.Tensors;
using Dendrite.Autograd;
using Dendrite.Kernels;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// Matrix product with <c>torch.matmul</c>'s rules: 1-D·1-D is a dot product, a 1-D left (right) operand is a row
    /// (column) vector, and leading batch dimensions broadcast: [..., M, K] · [..., K, N] → [..., M, N].
    /// </summary>
    /// <exception cref="ShapeMismatchException">The inner dimensions differ or the batch dimensions do not broadcast.</exception>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank == 0 || b.Rank == 0)
            throw new ShapeMismatchException($"MatMul: both operands need at least one dimension, got a {a.Shape}, b {b.Shape}.");
        int ka = a.Shape[-1], kb = b.Rank == 1 ? b.Shape[0] : b.Shape[-2];
        if (ka != kb)
            throw new ShapeMismatchException($"MatMul: inner dimensions differ: a {a.Shape}, b {b.Shape} (a's last {ka} ≠ b's {(b.Rank == 1 ? "only" : "second-to-last")} {kb}).");
        // Checked here so the error shows both operands, not just the batch parts that BroadcastPlan sees.
        var aBatch = a.Shape.AsSpan()[..Math.Max(a.Rank - 2, 0)];
        var bBatch = b.Shape.AsSpan()[..Math.Max(b.Rank - 2, 0)];
        for (int i = 1; i <= Math.Min(aBatch.Length, bBatch.Length); i++)
            if (aBatch[^i] != bBatch[^i] && aBatch[^i] != 1 && bBatch[^i] != 1)
                throw new ShapeMismatchException($"MatMul: batch dimensions do not broadcast: a {a.Shape}, b {b.Shape} " +
                    $"({aBatch[^i]} vs {bBatch[^i]}; sizes must be equal or one of them 1).");
        var a2 = a.Rank == 1 ? Reshape(a, 1, ka) : a;
        var b2 = b.Rank == 1 ? Reshape(b, kb, 1) : b;
        var y = BatchedMatMul(a2, b2);
        if (a.Rank == 1) y = Squeeze(y, -2);
        if (b.Rank == 1) y = Squeeze(y, -1);
        return y;
    }

    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        var y = MatMulValues(a, false, b, false);
        return Tape.Record(y, nameof(MatMul), [a, b], dy =>
        [
            a.RequiresGrad ? SumTo(MatMulValues(dy, false, b, true), a.Shape) : null,
            b.RequiresGrad ? SumTo(MatMulValues(a, true, dy, false), b.Shape) : null,
        ]);
    }

    /// <summary>op(a) · op(b) over broadcast batch dimensions, where op transposes the last two dimensions when asked.</summary>
    private static Tensor MatMulValues(Tensor a, bool transA, Tensor b, bool transB)
    {
        int m = transA ? a.Shape[-1] : a.Shape[-2], k = transA ? a.Shape[-2] : a.Shape[-1];
        int n = transB ? b.Shape[-2] : b.Shape[-1];
        var aBatch = a.Shape.AsSpan()[..^2];
        var bBatch = b.Shape.AsSpan()[..^2];
        var batch = BroadcastPlan.ResultShape(nameof(MatMul), aBatch, bBatch);
        var y = Tensor.Empty([.. batch, m, n]);
        int count = batch.Aggregate(1, (p, s) => p * s);
        var plan = new BroadcastPlan(aBatch, bBatch, batch);
        int aSize = a.Shape[-1] * a.Shape[-2], bSize = b.Shape[-1] * b.Shape[-2];
        for (int i = 0; i < count; i++)
        {
            // The plan yields inner runs; expand each run element into its (a, b) batch offsets.
            int run = i / plan.Inner, within = i % plan.Inner;
            var (oa, ob) = plan.Offsets(run);
            oa += within * plan.AInnerStride;
            ob += within * plan.BInnerStride;
            Gemm.Multiply(transA, transB, m, n, k,
                a.Data.Slice(oa * aSize, aSize), a.Shape[-1], b.Data.Slice(ob * bSize, bSize), b.Shape[-1],
                y.Data.Slice(i * m * n, m * n), n, accumulate: false);
        }
        return y;
    }

    /// <summary>
    /// y = x·Wᵀ + b, as <c>torch.nn.functional.linear</c>. Shapes: x [..., In], weight [Out, In], bias [Out] → y [..., Out].
    /// Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2)
            throw new ShapeMismatchException($"Linear: weight must be 2-D [out, in], got {weight.Shape}.");
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (x.Rank == 0 || x.Shape[-1] != inF)
            throw new ShapeMismatchException($"Linear({inF} → {outF}): expected input with last dimension {inF}, got input {x.Shape} (weight {weight.Shape}).");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ShapeMismatchException($"Linear({inF} → {outF}): bias must have shape [{outF}], got {bias.Shape}.");
        int rows = x.Numel / inF;
        var outDims = x.Shape.ToArray();
        outDims[^1] = outF;
        var y = Tensor.Empty(outDims);
        if (bias is not null)
            for (int r = 0; r < rows; r++) bias.Data.CopyTo(y.Data.Slice(r * outF, outF));
        Gemm.Multiply(false, true, rows, outF, inF, x.Data, inF, weight.Data, inF, y.Data, outF, accumulate: bias is not null);
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tape.Record(y, nameof(Linear), inputs, dy =>
        {
            Tensor? dx = null, dW = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Tensor.Empty(x.Shape);
                Gemm.Multiply(false, false, rows, inF, outF, dy.Data, outF, weight.Data, inF, dx.Data, inF, accumulate: false);
            }
            if (weight.RequiresGrad)
            {
                dW = Tape.NewGradient(weight);
                Gemm.Multiply(true, false, outF, inF, rows, dy.Data, outF, x.Data, inF, dW.Data, inF, accumulate: false);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                db = Tape.NewGradient(bias);
                if (rows == 0) db.Data.Clear();
                else dy.Data[..outF].CopyTo(db.Data);
                for (int r = 1; r < rows; r++) TensorPrimitives.Add(db.Data, dy.Data.Slice(r * outF, outF), db.Data);
            }
            return bias is null ? [dx, dW] : [dx, dW, db];
        });
    }
}
