namespace Dendrite.Backends.Reference;

public sealed partial class ReferenceBackend
{
    public override void Unary(UnaryOp op, Storage x, Storage y, float a = 0f, float b = 0f, float c = 0f)
    {
        var source = Values(x);
        var target = Values(y);
        for (int i = 0; i < source.Length; i++) target[i] = (float)Function(op, source[i], a, b, c);
    }

    /// <summary>f(x) from its definition, in double.</summary>
    private static double Function(UnaryOp op, double x, double a, double b, double c)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -x;
            case UnaryOp.Exp: return Math.Exp(x);
            case UnaryOp.Log: return Math.Log(x);
            case UnaryOp.Sqrt: return Math.Sqrt(x);
            case UnaryOp.Abs: return Math.Abs(x);
            case UnaryOp.Sigmoid: return Sigmoid(x);
            case UnaryOp.Tanh: return Math.Tanh(x);
            case UnaryOp.Relu: return x > 0 ? x : 0;
            case UnaryOp.LeakyRelu: return x > 0 ? x : a * x;
            case UnaryOp.Elu: return x > 0 ? x : a * (Math.Exp(x) - 1);
            // log(1 + e^z) = max(z, 0) + log(1 + e^−|z|), which no z overflows.
            case UnaryOp.Softplus:
                double z = a * x;
                return z > b ? x : (Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)))) / a;
            case UnaryOp.Gelu: return x * NormalCdf(x);
            case UnaryOp.GeluTanh: return 0.5 * x * (1 + Math.Tanh(GeluTanhArgument(x)));
            case UnaryOp.Silu: return x * Sigmoid(x);
            case UnaryOp.Square: return x * x;
            case UnaryOp.Pow: return Math.Pow(x, a);
            case UnaryOp.Clamp: return Math.Min(Math.Max(x, a), b);
            case UnaryOp.AddScalar: return x + a;
            case UnaryOp.MulScalar: return x * a;
            case UnaryOp.Huber: return Math.Abs(x) < a ? 0.5 * b * x * x : c * (Math.Abs(x) - 0.5 * a);
            case UnaryOp.XLogX: return x == 0 ? 0 : x * Math.Log(x);
            default: throw new ArgumentOutOfRangeException(nameof(op), $"reference backend: no unary {op}.");
        }
    }

    public override void UnaryBackward(UnaryOp op, Storage x, Storage y, Storage dy, Storage dx, float a = 0f,
        float b = 0f, float c = 0f)
    {
        // f′ is taken from x alone (y only spares the fast backend a second evaluation of f).
        var source = Values(x);
        var g = Values(dy);
        var target = Values(dx);
        for (int i = 0; i < target.Length; i++) target[i] = (float)(g[i] * Derivative(op, source[i], a, b, c));
    }

    /// <summary>f′(x) from its definition, in double.</summary>
    private static double Derivative(UnaryOp op, double x, double a, double b, double c)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -1;
            case UnaryOp.Exp: return Math.Exp(x);
            case UnaryOp.Log: return 1 / x;
            case UnaryOp.Sqrt: return 0.5 / Math.Sqrt(x);
            case UnaryOp.Abs: return Math.Sign(x);
            case UnaryOp.Sigmoid: return Sigmoid(x) * (1 - Sigmoid(x));
            case UnaryOp.Tanh: return 1 - Math.Tanh(x) * Math.Tanh(x);
            case UnaryOp.Relu: return x > 0 ? 1 : 0;
            case UnaryOp.LeakyRelu: return x > 0 ? 1 : a;
            case UnaryOp.Elu: return x > 0 ? 1 : a * Math.Exp(x);
            case UnaryOp.Softplus: return a * x > b ? 1 : Sigmoid(a * x);
            case UnaryOp.Gelu: return NormalCdf(x) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
            case UnaryOp.GeluTanh:
                double t = Math.Tanh(GeluTanhArgument(x));
                double dArgument = Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * x * x);
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dArgument;
            case UnaryOp.Silu: return Sigmoid(x) * (1 + x * (1 - Sigmoid(x)));
            case UnaryOp.Square: return 2 * x;
            // d/dx x⁰ = 0 everywhere, including x = 0 where the general form would give 0·0⁻¹.
            case UnaryOp.Pow: return a == 0 ? 0 : a * Math.Pow(x, a - 1);
            case UnaryOp.Clamp: return x >= a && x <= b ? 1 : 0;
            case UnaryOp.AddScalar: return 1;
            case UnaryOp.MulScalar: return a;
            case UnaryOp.Huber: return Math.Abs(x) < a ? b * x : c * Math.Sign(x);
            case UnaryOp.XLogX: return x == 0 ? 0 : Math.Log(x) + 1;
            default: throw new ArgumentOutOfRangeException(nameof(op), $"reference backend: no derivative of {op}.");
        }
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Φ(x), the standard normal distribution function.</summary>
    private static double NormalCdf(double x) => 0.5 * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2)));

    /// <summary>√(2/π)(x + 0.044715x³), the tanh approximation's argument.</summary>
    private static double GeluTanhArgument(double x) => Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
}
