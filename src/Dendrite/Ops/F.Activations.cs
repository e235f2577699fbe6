using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

public static partial class F
{
    /// <summary>σ(x) = 1 / (1 + e⁻ˣ). dσ/dx = y(1 − y).</summary>
    public static Tensor Sigmoid(Tensor x)
    {
        var y = Unary(UnaryOp.Sigmoid, x);
        return Tape.Record(y, nameof(Sigmoid), [x], dy => [ChainRule(UnaryOp.Sigmoid, dy, x, y)]);
    }

    /// <summary>tanh(x). d/dx = 1 − y².</summary>
    public static Tensor Tanh(Tensor x)
    {
        var y = Unary(UnaryOp.Tanh, x);
        return Tape.Record(y, nameof(Tanh), [x], dy => [ChainRule(UnaryOp.Tanh, dy, x, y)]);
    }

    /// <summary>max(x, 0). The gradient is 1 for x &gt; 0 and 0 otherwise (0 at the kink, as in PyTorch).</summary>
    public static Tensor ReLU(Tensor x)
    {
        var y = Unary(UnaryOp.Relu, x);
        return Tape.Record(y, nameof(ReLU), [x], dy => [ChainRule(UnaryOp.Relu, dy, x, y)]);
    }

    /// <summary>x for x &gt; 0, negativeSlope·x otherwise.</summary>
    public static Tensor LeakyReLU(Tensor x, float negativeSlope = 0.01f)
    {
        var y = Unary(UnaryOp.LeakyRelu, x, negativeSlope);
        return Tape.Record(y, nameof(LeakyReLU), [x], dy => [ChainRule(UnaryOp.LeakyRelu, dy, x, y, negativeSlope)]);
    }

    /// <summary>x for x &gt; 0, α(eˣ − 1) otherwise. d/dx = y + α for x ≤ 0.</summary>
    public static Tensor ELU(Tensor x, float alpha = 1f)
    {
        var y = Unary(UnaryOp.Elu, x, alpha);
        return Tape.Record(y, nameof(ELU), [x], dy => [ChainRule(UnaryOp.Elu, dy, x, y, alpha)]);
    }

    /// <summary>
    /// log(1 + e^(βx)) / β, reverting to x where βx &gt; threshold for numerical stability (PyTorch's defaults β = 1, threshold = 20).
    /// d/dx = σ(βx).
    /// </summary>
    public static Tensor Softplus(Tensor x, float beta = 1f, float threshold = 20f)
    {
        var y = Unary(UnaryOp.Softplus, x, beta, threshold);
        return Tape.Record(y, nameof(Softplus), [x], dy => [ChainRule(UnaryOp.Softplus, dy, x, y, beta, threshold)]);
    }

    /// <summary>
    /// Gaussian error linear unit x·Φ(x). <paramref name="approximate"/> "none" uses the exact erf; "tanh" uses
    /// 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch's <c>approximate</c> argument.
    /// </summary>
    public static Tensor GELU(Tensor x, string approximate = "none")
    {
        var op = approximate switch
        {
            "none" => UnaryOp.Gelu,
            "tanh" => UnaryOp.GeluTanh,
            _ => throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\"."),
        };
        var y = Unary(op, x);
        return Tape.Record(y, nameof(GELU), [x], dy => [ChainRule(op, dy, x, y)]);
    }

    /// <summary>x·σ(x) (also called swish). d/dx = σ(x)(1 + x(1 − σ(x))).</summary>
    public static Tensor SiLU(Tensor x)
    {
        var y = Unary(UnaryOp.Silu, x);
        return Tape.Record(y, nameof(SiLU), [x], dy => [ChainRule(UnaryOp.Silu, dy, x, y)]);
    }

    /// <summary>exp(x) / Σ exp(x) along <paramref name="dim"/>. Backward: dx = y ∘ (dy − Σ(dy ∘ y)).</summary>
    public static Tensor Softmax(Tensor x, int dim)
    {
        var (outer, n, inner, _, _) = SplitAt(x.Shape, dim, keepDim: true);
        var y = Tensor.Empty(x.Shape, x.Device);
        x.Backend.Softmax(x.Storage, outer, n, inner, y.Storage, log: false);
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
        var y = Tensor.Empty(x.Shape, x.Device);
        x.Backend.Softmax(x.Storage, outer, n, inner, y.Storage, log: true);
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
