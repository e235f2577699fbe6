using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

public static partial class F
{
    private static Tensor Binary(string op, BinaryOp kind, Tensor a, Tensor b)
    {
        CheckSameDevice(op, a, b);
        var shape = a.Shape == b.Shape ? a.Shape : new Shape(BroadcastShape(op, a.Shape.AsSpan(), b.Shape.AsSpan()));
        var y = Tensor.Empty(shape, a.Device);
        a.Backend.Binary(kind, a.Storage, a.Shape.AsSpan(), b.Storage, b.Shape.AsSpan(), y.Storage, shape.AsSpan());
        return y;
    }

    /// <summary>The broadcast shape of a and b (NumPy's rules); throws naming <paramref name="op"/> when they do not broadcast.</summary>
    internal static int[] BroadcastShape(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int da = d - (rank - a.Length) >= 0 ? a[d - (rank - a.Length)] : 1;
            int db = d - (rank - b.Length) >= 0 ? b[d - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ShapeMismatchException(
                    $"{op}: shapes [{string.Join(", ", a.ToArray())}] and [{string.Join(", ", b.ToArray())}] do not broadcast " +
                    $"(dimension {d} of the result: {da} vs {db}; sizes must be equal or one of them 1).");
            result[d] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>a + b with broadcasting. d/da = 1, d/db = 1 (summed over broadcast dimensions).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = Binary(nameof(Add), BinaryOp.Add, a, b);
        return Tape.Record(y, nameof(Add), [a, b], dy => [SumTo(dy, a.Shape), SumTo(dy, b.Shape)]);
    }

    /// <summary>a + s for a scalar s.</summary>
    public static Tensor Add(Tensor a, float s)
    {
        var y = Unary(UnaryOp.AddScalar, a, s);
        return Tape.Record(y, nameof(Add), [a], dy => [dy]);
    }

    /// <summary>a − b with broadcasting. d/da = 1, d/db = −1.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = Binary(nameof(Sub), BinaryOp.Sub, a, b);
        return Tape.Record(y, nameof(Sub), [a, b], dy => [SumTo(dy, a.Shape), b.RequiresGrad ? SumTo(Neg(dy), b.Shape) : null]);
    }

    /// <summary>a · b elementwise with broadcasting. d/da = b, d/db = a.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = Binary(nameof(Mul), BinaryOp.Mul, a, b);
        return Tape.Record(y, nameof(Mul), [a, b], dy =>
        [
            a.RequiresGrad ? SumTo(Mul(dy, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(dy, a), b.Shape) : null,
        ]);
    }

    /// <summary>a · s for a scalar s.</summary>
    public static Tensor Mul(Tensor a, float s)
    {
        var y = Unary(UnaryOp.MulScalar, a, s);
        return Tape.Record(y, nameof(Mul), [a], dy => [Mul(dy, s)]);
    }

    /// <summary>a / b elementwise with broadcasting. d/da = 1/b, d/db = −a/b² = −y/b.</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = Binary(nameof(Div), BinaryOp.Div, a, b);
        return Tape.Record(y, nameof(Div), [a, b], dy =>
        [
            a.RequiresGrad ? SumTo(Div(dy, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Neg(Div(Mul(dy, y), b)), b.Shape) : null,
        ]);
    }

    /// <summary>−x.</summary>
    public static Tensor Neg(Tensor x)
    {
        var y = Unary(UnaryOp.Neg, x);
        return Tape.Record(y, nameof(Neg), [x], dy => [Neg(dy)]);
    }

    /// <summary>x^p for a scalar exponent. d/dx = p · x^(p−1).</summary>
    public static Tensor Pow(Tensor x, float exponent)
    {
        var y = exponent == 2f ? Unary(UnaryOp.Square, x) : Unary(UnaryOp.Pow, x, exponent);
        return Tape.Record(y, nameof(Pow), [x], dy => [ChainRule(UnaryOp.Pow, dy, x, y, exponent)]);
    }

    /// <summary>a^b elementwise with broadcasting. d/da = b · a^(b−1), d/db = y · ln a.</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        var y = Binary(nameof(Pow), BinaryOp.Pow, a, b);
        return Tape.Record(y, nameof(Pow), [a, b], dy =>
        [
            a.RequiresGrad ? SumTo(Mul(dy, Mul(b, Pow(a, Add(b, -1f)))), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(dy, Mul(y, Log(BroadcastTo(a, y.Shape)))), b.Shape) : null,
        ]);
    }

    /// <summary>eˣ. d/dx = y.</summary>
    public static Tensor Exp(Tensor x)
    {
        var y = Unary(UnaryOp.Exp, x);
        return Tape.Record(y, nameof(Exp), [x], dy => [Mul(dy, y)]);
    }

    /// <summary>Natural logarithm. d/dx = 1/x.</summary>
    public static Tensor Log(Tensor x)
    {
        var y = Unary(UnaryOp.Log, x);
        return Tape.Record(y, nameof(Log), [x], dy => [Div(dy, x)]);
    }

    /// <summary>√x. d/dx = 1 / (2y).</summary>
    public static Tensor Sqrt(Tensor x)
    {
        var y = Unary(UnaryOp.Sqrt, x);
        return Tape.Record(y, nameof(Sqrt), [x], dy => [ChainRule(UnaryOp.Sqrt, dy, x, y)]);
    }

    /// <summary>|x|. d/dx = sign(x), 0 at 0 as in PyTorch.</summary>
    public static Tensor Abs(Tensor x)
    {
        var y = Unary(UnaryOp.Abs, x);
        return Tape.Record(y, nameof(Abs), [x], dy => [ChainRule(UnaryOp.Abs, dy, x, y)]);
    }

    /// <summary>
    /// x limited to [min, max] (either bound may be null). The gradient passes where min ≤ x ≤ max and is 0 outside,
    /// as in PyTorch's <c>clamp</c>.
    /// </summary>
    public static Tensor Clamp(Tensor x, float? min = null, float? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp: at least one of min and max must be given.");
        float lo = min ?? float.NegativeInfinity, hi = max ?? float.PositiveInfinity;
        var y = Unary(UnaryOp.Clamp, x, lo, hi);
        return Tape.Record(y, nameof(Clamp), [x], dy => [ChainRule(UnaryOp.Clamp, dy, x, y, lo, hi)]);
    }
}
