using Dendrite.Autograd;

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
        CheckSameDevice(nameof(MatMul), a, b, "a", "b");
        int ka = a.Shape[-1], kb = b.Rank == 1 ? b.Shape[0] : b.Shape[-2];
        if (ka != kb)
            throw new ShapeMismatchException($"MatMul: inner dimensions differ: a {a.Shape}, b {b.Shape} (a's last {ka} ≠ b's {(b.Rank == 1 ? "only" : "second-to-last")} {kb}).");
        // Checked here so the error shows both operands, not just the batch parts that BroadcastShape sees.
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
        var batch = BroadcastShape(nameof(MatMul), aBatch, bBatch);
        var y = Tensor.Empty(new Shape([.. batch, m, n]), a.Device);
        int count = batch.Aggregate(1, (p, s) => p * s);
        // Each output matrix's (a, b) operands: the batch index unravelled, each input's size-1 dimensions held at 0.
        var aOffsets = new int[count];
        var bOffsets = new int[count];
        int aSize = a.Shape[-1] * a.Shape[-2], bSize = b.Shape[-1] * b.Shape[-2];
        for (int i = 0; i < count; i++)
        {
            int rest = i, aIndex = 0, bIndex = 0, aStride = 1, bStride = 1;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                int at = rest % batch[d];
                rest /= batch[d];
                int da = d - (batch.Length - aBatch.Length), db = d - (batch.Length - bBatch.Length);
                if (da >= 0)
                {
                    if (aBatch[da] != 1) aIndex += at * aStride;
                    aStride *= aBatch[da];
                }
                if (db >= 0)
                {
                    if (bBatch[db] != 1) bIndex += at * bStride;
                    bStride *= bBatch[db];
                }
            }
            aOffsets[i] = aIndex * aSize;
            bOffsets[i] = bIndex * bSize;
        }
        a.Backend.BatchedGemm(transA, transB, m, n, k, a.Storage, aOffsets, b.Storage, bOffsets, y.Storage);
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
        CheckSameDevice(nameof(Linear), x, weight, "input", "weight");
        CheckSameDevice(nameof(Linear), x, bias, "input", "bias");
        int rows = x.Numel / inF;
        var outDims = x.Shape.ToArray();
        outDims[^1] = outF;
        var y = Tensor.Empty(new Shape(outDims), x.Device);
        var backend = x.Backend;
        if (bias is not null) backend.RepeatRows(bias.Storage, rows, y.Storage);
        backend.Gemm(false, true, rows, outF, inF, x.Storage, 0, inF, weight.Storage, 0, inF, y.Storage, 0, outF, accumulate: bias is not null);
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tape.Record(y, nameof(Linear), inputs, dy =>
        {
            Tensor? dx = null, dW = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Tensor.Empty(x.Shape, x.Device);
                backend.Gemm(false, false, rows, inF, outF, dy.Storage, 0, outF, weight.Storage, 0, inF, dx.Storage, 0, inF, accumulate: false);
            }
            if (weight.RequiresGrad)
            {
                dW = Tape.NewGradient(weight);
                backend.Gemm(true, false, outF, inF, rows, dy.Storage, 0, outF, x.Storage, 0, inF, dW.Storage, 0, inF, accumulate: false);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                db = Tape.NewGradient(bias);
                backend.SumRows(dy.Storage, rows, outF, db.Storage);
            }
            return bias is null ? [dx, dW] : [dx, dW, db];
        });
    }
}
