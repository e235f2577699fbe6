using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    /// <summary>Sum of all elements, as a 0-dimensional tensor. d/dx = 1.</summary>
    public static Tensor Sum(Tensor x)
    {
        var y = Tensor.Empty(new Shape(), x.Device);
        x.Backend.SumAll(x.Storage, y.Storage);
        return Tape.Record(y, nameof(Sum), [x], dy => [BroadcastTo(dy, x.Shape)]);
    }

    /// <summary>Sum along <paramref name="dim"/>; kept as size 1 when <paramref name="keepDim"/>.</summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false)
    {
        var (outer, n, inner, keptShape, outShape) = SplitAt(x.Shape, dim, keepDim);
        var y = Tensor.Empty(outShape, x.Device);
        x.Backend.Sum(x.Storage, outer, n, inner, y.Storage);
        return Tape.Record(y, nameof(Sum), [x], dy => [BroadcastTo(dy.ViewAs(keptShape), x.Shape)]);
    }

    /// <summary>Sum over several dimensions.</summary>
    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false) => ReduceDims(x, dims, keepDim, Sum);

    /// <summary>Mean of all elements.</summary>
    public static Tensor Mean(Tensor x) => Mul(Sum(x), 1f / x.Numel);

    /// <summary>Mean along <paramref name="dim"/>.</summary>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => Mul(Sum(x, dim, keepDim), 1f / x.Shape[dim]);

    /// <summary>Mean over several dimensions.</summary>
    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false) => ReduceDims(x, dims, keepDim, Mean);

    /// <summary>Largest element. The gradient goes to its first occurrence.</summary>
    public static Tensor Max(Tensor x) => Reshape(Max(Reshape(x, -1), 0), []);

    /// <summary>Maximum along <paramref name="dim"/>; the gradient goes to the first maximal element of each slice.</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false)
    {
        var (outer, n, inner, keptShape, outShape) = SplitAt(x.Shape, dim, keepDim);
        if (n == 0) throw new ArgumentException($"Max: dimension {dim} of shape {x.Shape} is empty.");
        var y = Tensor.Empty(outShape, x.Device);
        var argMax = Tensor.Empty(outShape, x.Device);
        x.Backend.Max(x.Storage, outer, n, inner, y.Storage, argMax.Storage);
        return Tape.Record(y, nameof(Max), [x], dy =>
        {
            var dx = Tensor.Empty(x.Shape, x.Device);
            x.Backend.MaxBackward(dy.Storage, argMax.Storage, outer, n, inner, dx.Storage);
            return [dx];
        });
    }

    /// <summary>Maximum over several dimensions.</summary>
    public static Tensor Max(Tensor x, int[] dims, bool keepDim = false) => ReduceDims(x, dims, keepDim, Max);

    /// <summary>Index of the first maximum along <paramref name="dim"/>, as float values (not differentiable).</summary>
    public static Tensor ArgMax(Tensor x, int dim, bool keepDim = false)
    {
        var (outer, n, inner, _, outShape) = SplitAt(x.Shape, dim, keepDim);
        if (n == 0) throw new ArgumentException($"ArgMax: dimension {dim} of shape {x.Shape} is empty.");
        var y = Tensor.Empty(outShape, x.Device);
        x.Backend.Max(x.Storage, outer, n, inner, Tensor.Empty(outShape, x.Device).Storage, y.Storage);
        return y;
    }

    private static Tensor ReduceDims(Tensor x, int[] dims, bool keepDim, Func<Tensor, int, bool, Tensor> reduce)
    {
        // Highest dimension first, so the indices of the ones still to reduce stay valid.
        var sorted = dims.Select(x.Shape.NormalizeDim).Distinct().OrderByDescending(d => d).ToArray();
        var y = x;
        foreach (int d in sorted) y = reduce(y, d, keepDim);
        return y;
    }

    /// <summary>x's shape seen as [outer, n, inner] around <paramref name="dim"/>, with the reduced shapes.</summary>
    private static (int Outer, int N, int Inner, Shape Kept, Shape Out) SplitAt(Shape shape, int dim, bool keepDim)
    {
        int d = shape.NormalizeDim(dim);
        var kept = shape.ToArray();
        kept[d] = 1;
        var dropped = shape.Where((_, i) => i != d).ToArray();
        return (shape.Product(0, d), shape[d], shape.Product(d + 1, shape.Rank), new Shape(kept), keepDim ? new Shape(kept) : new Shape(dropped));
    }
}
