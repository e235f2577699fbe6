using System.Numerics.Tensors;
using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    /// <summary>σ(x) = 1 / (1 + e⁻ˣ). dσ/dx = y(1 − y).</summary>
    public static Tensor Sigmoid(Tensor x)
    {
        var y = Map(x, TensorPrimitives.Sigmoid);
        return Tape.Record(y, nameof(Sigmoid), [x], dy => [ChainRule(dy, x, y, (_, yv) => yv * (1 - yv))]);
    }

    /// <summary>tanh(x). d/dx = 1 − y².</summary>
    public static Tensor Tanh(Tensor x)
    {
        var y = Map(x, TensorPrimitives.Tanh);
        return Tape.Record(y, nameof(Tanh), [x], dy => [ChainRule(dy, x, y, (_, yv) => 1 - yv * yv)]);
    }

    /// <summary>max(x, 0). The gradient is 1 for x &gt; 0 and 0 otherwise (0 at the kink, as in PyTorch).</summary>
    public static Tensor ReLU(Tensor x)
    {
        var y = Map(x, Kernels.Elementwise.Relu);
        return Tape.Record(y, nameof(ReLU), [x], dy =>
        {
            var dx = Tensor.Empty(x.Shape);
            Kernels.Elementwise.ReluBackward(x.Data, dy.Data, dx.Data);
            return [dx];
        });
    }

    /// <summary>x for x &gt; 0, negativeSlope·x otherwise.</summary>
    public static Tensor LeakyReLU(Tensor x, float negativeSlope = 0.01f)
    {
        var y = Map(x, (v, o) => { for (int i = 0; i < v.Length; i++) o[i] = v[i] > 0 ? v[i] : negativeSlope * v[i]; });
        return Tape.Record(y, nameof(LeakyReLU), [x], dy => [ChainRule(dy, x, y, (xv, _) => xv > 0 ? 1f : negativeSlope)]);
    }

    /// <summary>x for x &gt; 0, α(eˣ − 1) otherwise. d/dx = y + α for x ≤ 0.</summary>
    public static Tensor ELU(Tensor x, float alpha = 1f)
    {
        var y = Map(x, (v, o) => { for (int i = 0; i < v.Length; i++) o[i] = v[i] > 0 ? v[i] : alpha * (MathF.Exp(v[i]) - 1); });
        return Tape.Record(y, nameof(ELU), [x], dy => [ChainRule(dy, x, y, (xv, yv) => xv > 0 ? 1f : yv + alpha)]);
    }

    /// <summary>
    /// log(1 + e^(βx)) / β, reverting to x where βx &gt; threshold for numerical stability (PyTorch's defaults β = 1, threshold = 20).
    /// d/dx = σ(βx).
    /// </summary>
    public static Tensor Softplus(Tensor x, float beta = 1f, float threshold = 20f)
    {
        var y = Map(x, (v, o) =>
        {
            for (int i = 0; i < v.Length; i++)
            {
                float z = beta * v[i];
                o[i] = z > threshold ? v[i] : (MathF.Max(z, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(z)))) / beta;
            }
        });
        return Tape.Record(y, nameof(Softplus), [x], dy =>
            [ChainRule(dy, x, y, (xv, _) => beta * xv > threshold ? 1f : 1f / (1f + MathF.Exp(-beta * xv)))]);
    }

    /// <summary>
    /// Gaussian error linear unit x·Φ(x). <paramref name="approximate"/> "none" uses the exact erf; "tanh" uses
    /// 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch's <c>approximate</c> argument.
    /// </summary>
    public static Tensor GELU(Tensor x, string approximate = "none")
    {
        const float sqrt2OverPi = 0.7978845608028654f, c = 0.044715f, invSqrt2 = 0.7071067811865476f, invSqrt2Pi = 0.3989422804014327f;
        bool tanh = approximate switch
        {
            "none" => false,
            "tanh" => true,
            _ => throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\"."),
        };
        var y = Map(x, (v, o) =>
        {
            for (int i = 0; i < v.Length; i++)
            {
                float xv = v[i];
                o[i] = tanh
                    ? 0.5f * xv * (1 + MathF.Tanh(sqrt2OverPi * (xv + c * xv * xv * xv)))
                    : (float)(0.5 * xv * (1 + SpecialFunctions.Erf(xv * invSqrt2)));
            }
        });
        return Tape.Record(y, nameof(GELU), [x], dy => [ChainRule(dy, x, y, (xv, _) =>
        {
            if (!tanh) return (float)(0.5 * (1 + SpecialFunctions.Erf(xv * invSqrt2))) + xv * invSqrt2Pi * MathF.Exp(-0.5f * xv * xv);
            float u = sqrt2OverPi * (xv + c * xv * xv * xv);
            float t = MathF.Tanh(u);
            return 0.5f * (1 + t) + 0.5f * xv * (1 - t * t) * sqrt2OverPi * (1 + 3 * c * xv * xv);
        })]);
    }

    /// <summary>x·σ(x) (also called swish). d/dx = σ(x)(1 + x(1 − σ(x))).</summary>
    public static Tensor SiLU(Tensor x)
    {
        var y = Map(x, (v, o) =>
        {
            TensorPrimitives.Sigmoid(v, o);
            TensorPrimitives.Multiply(o, v, o);
        });
        return Tape.Record(y, nameof(SiLU), [x], dy => [ChainRule(dy, x, y, (xv, _) =>
        {
            float s = 1f / (1f + MathF.Exp(-xv));
            return s * (1 + xv * (1 - s));
        })]);
    }

    /// <summary>exp(x) / Σ exp(x) along <paramref name="dim"/>. Backward: dx = y ∘ (dy − Σ(dy ∘ y)).</summary>
    public static Tensor Softmax(Tensor x, int dim)
    {
        var (outer, n, inner, _, _) = SplitAt(x.Shape, dim, keepDim: true);
        var y = Tensor.Empty(x.Shape);
        Kernels.Softmax.Forward(x.Data, outer, n, inner, y.Data, log: false);
        return Tape.Record(y, nameof(Softmax), [x], dy =>
        {
            var dot = Sum(Mul(dy, y), dim, keepDim: true);
            return [Mul(y, Sub(dy, dot))];
        });
    }

    /// <summary>log(softmax(x)) along <paramref name="dim"/>, computed stably. Backward: dx = dy − softmax(x) ∘ Σ dy.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim)
    {
        var (outer, n, inner, _, _) = SplitAt(x.Shape, dim, keepDim: true);
        var y = Tensor.Empty(x.Shape);
        Kernels.Softmax.Forward(x.Data, outer, n, inner, y.Data, log: true);
        return Tape.Record(y, nameof(LogSoftmax), [x], dy => [Sub(dy, Mul(Exp(y), Sum(dy, dim, keepDim: true)))]);
    }

    /// <summary>
    /// Maxout (Goodfellow et al., 2013): the features along <paramref name="dim"/> are cut into consecutive groups of
    /// <paramref name="poolSize"/> and each group is replaced by its maximum, so [N, C] becomes [N, C / poolSize].
    /// </summary>
    public static Tensor Maxout(Tensor x, int poolSize, int dim = -1)
    {
        int d = x.Shape.NormalizeDim(dim);
        if (poolSize < 1 || x.Shape[d] % poolSize != 0)
            throw new ShapeMismatchException($"Maxout: dimension {d} of input {x.Shape} ({x.Shape[d]}) is not a multiple of poolSize {poolSize}.");
        var dims = x.Shape.ToList();
        dims[d] = x.Shape[d] / poolSize;
        dims.Insert(d + 1, poolSize);
        return Max(Reshape(x, [.. dims]), d + 1);
    }
}
