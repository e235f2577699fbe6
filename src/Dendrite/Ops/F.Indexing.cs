using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// Values picked along <paramref name="dim"/> by <paramref name="index"/>, as <c>torch.gather</c>: for a 3-D input and
    /// dim 1, y[i, j, k] = x[i, index[i, j, k], k]. The index has x's rank, holds whole numbers in [0, x.Shape[dim]), and
    /// is no larger than x along the other dimensions; y has its shape. The gradient adds dy back at the picked places.
    /// </summary>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        const string op = nameof(Gather);
        if (x.Rank == 0) throw new ShapeMismatchException($"{op}: the input must have at least one dimension, got a scalar.");
        int d = x.Shape.NormalizeDim(dim);
        CheckSameDevice(op, x, index, "input", "index");
        if (index.Rank != x.Rank)
            throw new ShapeMismatchException($"{op}: index {index.Shape} must have the input's rank {x.Rank} (input {x.Shape}).");
        for (int k = 0; k < x.Rank; k++)
            if (k != d && index.Shape[k] > x.Shape[k])
                throw new ShapeMismatchException(
                    $"{op}: index {index.Shape} is larger than the input {x.Shape} along dimension {k}; only dimension {d} may differ.");
        var values = HostValues(index);
        int size = x.Shape[d];
        for (int i = 0; i < values.Length; i++)
            if (values[i] != MathF.Floor(values[i]) || values[i] < 0 || values[i] >= size)
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"{op}: index value {values[i]} at position {i} is not a position in [0, {size}) along dimension {d} of {x.Shape}.");
        return GatherValidated(x, d, index);
    }

    /// <summary><see cref="Gather"/> for an index already known to be valid (made by a sort).</summary>
    private static Tensor GatherValidated(Tensor x, int d, Tensor index)
    {
        var y = Tensor.Empty(index.Shape, x.Device);
        x.Backend.Gather(x.Storage, x.Shape.AsSpan(), d, index.Storage, index.Shape.AsSpan(), y.Storage);
        return Tape.Record(y, nameof(Gather), [x], dy =>
        {
            var dx = Tensor.Empty(x.Shape, x.Device);
            x.Backend.ScatterAdd(dy.Storage, index.Shape.AsSpan(), d, index.Storage, dx.Storage, x.Shape.AsSpan());
            return [dx];
        });
    }

    /// <summary>
    /// a where the condition holds, b elsewhere, as <c>torch.where</c>: the condition is true where it is not 0 (a mask
    /// of 0s and 1s, say) and all three broadcast together. Unlike cond·a + (1 − cond)·b, an infinite or NaN value in
    /// the branch not taken does not leak into the result or the gradient. The gradient reaches a where the condition
    /// holds and b elsewhere; the condition gets none.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        const string op = nameof(Where);
        CheckSameDevice(op, a, condition, "a", "condition");
        CheckSameDevice(op, a, b, "a", "b");
        var shape = new Shape(BroadcastShape(op, BroadcastShape(op, condition.Shape.AsSpan(), a.Shape.AsSpan()), b.Shape.AsSpan()));
        var mask = BroadcastTo(condition, shape);
        var y = Select(mask, BroadcastTo(a, shape), BroadcastTo(b, shape));
        return Tape.Record(y, op, [a, b], dy =>
        {
            var zeros = Tensor.Zeros(shape, dy.Device);
            return
            [
                a.RequiresGrad ? SumTo(Select(mask, dy, zeros), a.Shape) : null,
                b.RequiresGrad ? SumTo(Select(mask, zeros, dy), b.Shape) : null,
            ];
        });
    }

    /// <summary><see cref="Where(Tensor, Tensor, Tensor)"/> with a constant where the condition fails (masking: <c>where(mask, x, 0)</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor a, float b) => Where(condition, a, Tensor.Full(new Shape(), b, a.Device));

    /// <summary><see cref="Where(Tensor, Tensor, Tensor)"/> with a constant where the condition holds.</summary>
    public static Tensor Where(Tensor condition, float a, Tensor b) => Where(condition, Tensor.Full(new Shape(), a, b.Device), b);

    /// <summary>condition ≠ 0 ? a : b over three tensors of one shape, not recorded.</summary>
    private static Tensor Select(Tensor condition, Tensor a, Tensor b)
    {
        var y = Tensor.Empty(a.Shape, a.Device);
        a.Backend.Where(condition.Storage, a.Storage, b.Storage, y.Storage);
        return y;
    }

    /// <summary>
    /// x sorted along <paramref name="dim"/>, as <c>torch.sort(stable=True)</c>: the values and, as floats holding whole
    /// numbers, their positions in x. Equal values keep their order; NaN sorts above every number (last ascending, first
    /// descending). The gradient of the values goes back to the positions they came from.
    /// </summary>
    public static (Tensor Values, Tensor Indices) Sort(Tensor x, int dim = -1, bool descending = false)
    {
        if (x.Rank == 0) return (x, Tensor.Zeros(new Shape(), x.Device));
        int d = x.Shape.NormalizeDim(dim);
        var indices = SortedPositions(x, d, descending);
        return (GatherValidated(x, d, indices), indices);
    }

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their positions, as
    /// <c>torch.topk</c>; always in sorted order (largest first when <paramref name="largest"/>), ties in the order they
    /// appear in x, which satisfies <paramref name="sorted"/> either way.
    /// </summary>
    public static (Tensor Values, Tensor Indices) TopK(Tensor x, int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        _ = sorted; // PyTorch leaves the order unspecified when sorted is false; sorted is one valid order.
        var size = x.Rank == 0 ? 1 : x.Shape[dim];
        if (k < 0 || k > size)
            throw new ArgumentOutOfRangeException(nameof(k), $"TopK: k = {k} is out of range for dimension {dim} of size {size} (shape {x.Shape}).");
        if (x.Rank == 0) return (x, Tensor.Zeros(new Shape(), x.Device));
        int d = x.Shape.NormalizeDim(dim);
        var indices = Narrow(SortedPositions(x, d, largest), d, 0, k).Detach();
        return (GatherValidated(x, d, indices), indices);
    }

    private static Tensor SortedPositions(Tensor x, int d, bool descending)
    {
        var indices = Tensor.Empty(x.Shape, x.Device);
        x.Backend.SortIndices(x.Storage, x.Shape.Product(0, d), x.Shape[d], x.Shape.Product(d + 1, x.Rank), descending, indices.Storage);
        return indices;
    }
}
