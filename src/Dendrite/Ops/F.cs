using Dendrite.Kernels;

namespace Dendrite;

/// <summary>
/// The functional API, mirroring <c>torch.nn.functional</c> and <c>torch</c>'s tensor ops: same names in PascalCase,
/// same argument meaning and layouts. Every op records itself on the tape so that gradients flow through it.
/// </summary>
public static partial class F
{
    /// <summary>Runs <paramref name="kernel"/> from x's values into a new tensor of x's shape.</summary>
    private static Tensor Map(Tensor x, SpanAction kernel)
    {
        var y = Tensor.Empty(x.Shape);
        kernel(x.Data, y.Data);
        return y;
    }

    private delegate void SpanAction(ReadOnlySpan<float> x, Span<float> y);
    private delegate float Derivative(float x, float y);

    /// <summary>dx = dy · f'(x, y), elementwise; f' may use the input, the saved output, or both.</summary>
    private static Tensor ChainRule(Tensor dy, Tensor x, Tensor y, Derivative derivative)
    {
        var dx = Tensor.Empty(x.Shape);
        ReadOnlySpan<float> xs = x.Data, ys = y.Data, g = dy.Data;
        var d = dx.Data;
        for (int i = 0; i < d.Length; i++) d[i] = g[i] * derivative(xs[i], ys[i]);
        return dx;
    }

    /// <summary>The gradient of a broadcast input: <paramref name="g"/> summed down to <paramref name="shape"/>.</summary>
    internal static Tensor SumTo(Tensor g, Shape shape)
    {
        if (g.Shape == shape) return g;
        var t = Tensor.Empty(shape);
        Elementwise.SumTo(g.Data, g.Shape.AsSpan(), t.Data, shape.AsSpan());
        return t;
    }

    /// <summary>x repeated to <paramref name="shape"/> along broadcast dimensions (not recorded: used inside backward passes).</summary>
    internal static Tensor BroadcastTo(Tensor x, Shape shape)
    {
        if (x.Shape == shape) return x;
        var y = Tensor.Empty(shape);
        Elementwise.BroadcastTo(x.Data, x.Shape.AsSpan(), y.Data, shape.AsSpan());
        return y;
    }
}
