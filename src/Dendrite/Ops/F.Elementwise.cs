using System.Numerics.Tensors;
using Dendrite.Autograd;
using Dendrite.Kernels;

namespace Dendrite;

public static partial class F
{
    private static Tensor Binary(string op, BinaryOp kind, Tensor a, Tensor b)
    {
        if (a.Shape == b.Shape)
        {
            var same = Tensor.Empty(a.Shape);
            Elementwise.Apply(kind, a.Data, b.Data, same.Data);
            return same;
        }
        var shape = BroadcastPlan.ResultShape(op, a.Shape.AsSpan(), b.Shape.AsSpan());
        var y = Tensor.Empty(shape);
        Elementwise.Binary(kind, a.Data, b.Data, y.Data, new BroadcastPlan(a.Shape.AsSpan(), b.Shape.AsSpan(), shape));
        return y;
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
        var y = Map(a, (x, o) => TensorPrimitives.Add(x, s, o));
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
        var y = Map(a, (x, o) => TensorPrimitives.Multiply(x, s, o));
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
        var y = Map(x, TensorPrimitives.Negate);
        return Tape.Record(y, nameof(Neg), [x], dy => [Neg(dy)]);
    }

    /// <summary>x^p for a scalar exponent. d/dx = p · x^(p−1).</summary>
    public static Tensor Pow(Tensor x, float exponent)
    {
        var y = exponent == 2f ? Map(x, (v, o) => TensorPrimitives.Multiply(v, v, o)) : Map(x, (v, o) => TensorPrimitives.Pow(v, exponent, o));
        return Tape.Record(y, nameof(Pow), [x], dy =>
            [ChainRule(dy, x, y, (xv, _) => exponent == 0 ? 0 : exponent * MathF.Pow(xv, exponent - 1))]);
    }

    /// <summary>a^b elementwise with broadcasting. d/da = b · a^(b−1), d/db = y · ln a.</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        var y = Binary(nameof(Pow), BinaryOp.Pow, a, b);
        return Tape.Record(y, nameof(Pow), [a, b], dy =>
        [
            a.RequiresGrad ? SumTo(Mul(dy, Mul(b, Pow(a, Sub(b, Tensor.Scalar(1f))))), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(dy, Mul(y, Log(BroadcastTo(a, y.Shape)))), b.Shape) : null,
        ]);
    }

    /// <summary>eˣ. d/dx = y.</summary>
    public static Tensor Exp(Tensor x)
    {
        var y = Map(x, TensorPrimitives.Exp);
        return Tape.Record(y, nameof(Exp), [x], dy => [Mul(dy, y)]);
    }

    /// <summary>Natural logarithm. d/dx = 1/x.</summary>
    public static Tensor Log(Tensor x)
    {
        var y = Map(x, TensorPrimitives.Log);
        return Tape.Record(y, nameof(Log), [x], dy => [Div(dy, x)]);
    }

    /// <summary>√x. d/dx = 1 / (2y).</summary>
    public static Tensor Sqrt(Tensor x)
    {
        var y = Map(x, TensorPrimitives.Sqrt);
        return Tape.Record(y, nameof(Sqrt), [x], dy => [ChainRule(dy, x, y, (_, yv) => 0.5f / yv)]);
    }

    /// <summary>|x|. d/dx = sign(x), 0 at 0 as in PyTorch.</summary>
    public static Tensor Abs(Tensor x)
    {
        var y = Map(x, TensorPrimitives.Abs);
        return Tape.Record(y, nameof(Abs), [x], dy => [ChainRule(dy, x, y, (xv, _) => MathF.Sign(xv))]);
    }

    /// <summary>
    /// x limited to [min, max] (either bound may be null). The gradient passes where min ≤ x ≤ max and is 0 outside,
    /// as in PyTorch's <c>clamp</c>.
    /// </summary>
    public static Tensor Clamp(Tensor x, float? min = null, float? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp: at least one of min and max must be given.");
        float lo = min ?? float.NegativeInfinity, hi = max ?? float.PositiveInfinity;
        var y = Map(x, (v, o) =>
        {
            TensorPrimitives.Max(v, lo, o);
            TensorPrimitives.Min(o, hi, o);
        });
        return Tape.Record(y, nameof(Clamp), [x], dy => [ChainRule(dy, x, y, (xv, _) => xv >= lo && xv <= hi ? 1f : 0f)]);
    }
}
