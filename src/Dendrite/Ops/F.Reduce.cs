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

    /// <summary>Smallest element, as −max(−x): the gradient goes to its first occurrence, and NaN wins, as in PyTorch.</summary>
    public static Tensor Min(Tensor x) => Neg(Max(Neg(x)));

    /// <summary>Minimum along <paramref name="dim"/>; the gradient goes to the first minimal element of each slice.</summary>
    public static Tensor Min(Tensor x, int dim, bool keepDim = false)
    {
        if (x.Shape[dim] == 0) throw new ArgumentException($"Min: dimension {dim} of shape {x.Shape} is empty.");
        return Neg(Max(Neg(x), dim, keepDim));
    }

    /// <summary>Minimum over several dimensions.</summary>
    public static Tensor Min(Tensor x, int[] dims, bool keepDim = false) => ReduceDims(x, dims, keepDim, Min);

    /// <summary>Index of the first minimum along <paramref name="dim"/>, as float values (not differentiable).</summary>
    public static Tensor ArgMin(Tensor x, int dim, bool keepDim = false)
    {
        if (x.Shape[dim] == 0) throw new ArgumentException($"ArgMin: dimension {dim} of shape {x.Shape} is empty.");
        using (Tensor.NoGrad()) return ArgMax(Neg(x), dim, keepDim);
    }

    /// <summary>
    /// Variance of all elements, as <c>torch.var</c>: Σ(x − mean)² / max(0, N − correction). The default correction 1
    /// is Bessel's (the unbiased sample variance); 0 gives the population variance. N ≤ correction gives NaN or ∞, as
    /// in PyTorch.
    /// </summary>
    public static Tensor Var(Tensor x, float correction = 1f)
    {
        var squares = Pow(Sub(x, Mean(x)), 2f);
        return Mul(Sum(squares), BesselScale(x.Numel, correction));
    }

    /// <summary>Variance along <paramref name="dim"/> (see <see cref="Var(Tensor, float)"/>).</summary>
    public static Tensor Var(Tensor x, int dim, bool keepDim = false, float correction = 1f) => Var(x, [dim], keepDim, correction);

    /// <summary>Variance over several dimensions together (all of them when none is given): N is the product of their sizes.</summary>
    public static Tensor Var(Tensor x, int[] dims, bool keepDim = false, float correction = 1f)
    {
        // No dimensions means all of them, as in PyTorch.
        var normalized = dims.Length == 0 ? Enumerable.Range(0, x.Rank).ToArray() : dims.Select(x.Shape.NormalizeDim).Distinct().ToArray();
        int n = normalized.Aggregate(1, (count, d) => count * x.Shape[d]);
        var squares = Pow(Sub(x, Mean(x, normalized, keepDim: true)), 2f);
        return Mul(Sum(squares, normalized, keepDim), BesselScale(n, correction));
    }

    /// <summary>Standard deviation of all elements: √<see cref="Var(Tensor, float)"/>.</summary>
    public static Tensor Std(Tensor x, float correction = 1f) => Sqrt(Var(x, correction));

    /// <summary>Standard deviation along <paramref name="dim"/>.</summary>
    public static Tensor Std(Tensor x, int dim, bool keepDim = false, float correction = 1f) => Sqrt(Var(x, dim, keepDim, correction));

    /// <summary>Standard deviation over several dimensions.</summary>
    public static Tensor Std(Tensor x, int[] dims, bool keepDim = false, float correction = 1f) => Sqrt(Var(x, dims, keepDim, correction));

    /// <summary>1 / max(0, N − correction): ∞ when nothing is left, so a zero sum of squares becomes NaN as in PyTorch.</summary>
    private static float BesselScale(int n, float correction)
    {
        if (!float.IsFinite(correction))
            throw new ArgumentOutOfRangeException(nameof(correction), $"Var: correction must be a finite number, got {correction}.");
        return 1f / MathF.Max(0f, n - correction);
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
