using Dendrite.Backends;

namespace Dendrite;

/// <summary>
/// The functional API, mirroring <c>torch.nn.functional</c> and <c>torch</c>'s tensor ops: same names in PascalCase,
/// same argument meaning and layouts. Every op records itself on the tape so that gradients flow through it, and asks
/// its inputs' backend for every number.
/// </summary>
public static partial class F
{
    /// <summary>y = f(x) elementwise on x's device.</summary>
    private static Tensor Unary(UnaryOp op, Tensor x, float a = 0f, float b = 0f, float c = 0f)
    {
        var y = Tensor.Empty(x.Shape, x.Device);
        x.Backend.Unary(op, x.Storage, y.Storage, a, b, c);
        return y;
    }

    /// <summary>dx = dy · f′(x), where y = f(x) came from <see cref="Unary"/> with the same arguments.</summary>
    private static Tensor ChainRule(UnaryOp op, Tensor dy, Tensor x, Tensor y, float a = 0f, float b = 0f, float c = 0f)
    {
        var dx = Tensor.Empty(x.Shape, x.Device);
        x.Backend.UnaryBackward(op, x.Storage, y.Storage, dy.Storage, dx.Storage, a, b, c);
        return dx;
    }

    /// <summary>The gradient of a broadcast input: <paramref name="g"/> summed down to <paramref name="shape"/>.</summary>
    internal static Tensor SumTo(Tensor g, Shape shape)
    {
        if (g.Shape == shape) return g;
        var t = Tensor.Empty(shape, g.Device);
        g.Backend.SumTo(g.Storage, g.Shape.AsSpan(), t.Storage, shape.AsSpan());
        return t;
    }

    /// <summary>x repeated to <paramref name="shape"/> along broadcast dimensions (not recorded: used inside backward passes).</summary>
    internal static Tensor BroadcastTo(Tensor x, Shape shape)
    {
        if (x.Shape == shape) return x;
        var y = Tensor.Empty(shape, x.Device);
        x.Backend.BroadcastTo(x.Storage, x.Shape.AsSpan(), y.Storage, shape.AsSpan());
        return y;
    }

    /// <summary>a·b elementwise for two tensors of one shape, not recorded (inside ops and backward passes).</summary>
    private static Tensor Product(Tensor a, Tensor b)
    {
        var y = Tensor.Empty(a.Shape, a.Device);
        a.Backend.Binary(BinaryOp.Mul, a.Storage, a.Shape.AsSpan(), b.Storage, b.Shape.AsSpan(), y.Storage, a.Shape.AsSpan());
        return y;
    }

    /// <summary>Throws naming both devices when <paramref name="b"/> lives elsewhere than <paramref name="a"/>.</summary>
    internal static void CheckSameDevice(string op, Tensor a, Tensor? b, string aName = "input", string bName = "other")
    {
        if (b is not null && !ReferenceEquals(a.Device, b.Device))
            throw new ArgumentException($"{op}: expected all tensors on one device, but {aName} is on {a.Device} and {bName} on {b.Device}. " +
                "Move one with To(device).");
    }

    /// <summary>Values of a small tensor in host memory, for checks and index lists (a copy from the device where there is one).</summary>
    private static float[] HostValues(Tensor t) => t.ToArray();
}
