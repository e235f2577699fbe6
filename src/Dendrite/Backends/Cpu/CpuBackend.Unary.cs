using System.Numerics.Tensors;

namespace Dendrite.Backends.Cpu;

public sealed partial class CpuBackend
{
    private const float Sqrt2OverPi = 0.7978845608028654f, GeluCubic = 0.044715f, InvSqrt2 = 0.7071067811865476f,
        InvSqrt2Pi = 0.3989422804014327f;

    public override void Unary(UnaryOp op, Storage x, Storage y, float a = 0f, float b = 0f, float c = 0f)
    {
        ReadOnlySpan<float> v = S(x);
        var o = S(y);
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(v, o); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(v, o); break;
            case UnaryOp.Log: TensorPrimitives.Log(v, o); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(v, o); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(v, o); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(v, o); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(v, o); break;
            case UnaryOp.Relu: Elementwise.Relu(v, o); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(v, v, o); break;
            case UnaryOp.Pow: TensorPrimitives.Pow(v, a, o); break;
            case UnaryOp.AddScalar: TensorPrimitives.Add(v, a, o); break;
            case UnaryOp.MulScalar: TensorPrimitives.Multiply(v, a, o); break;
            case UnaryOp.Clamp:
                TensorPrimitives.Max(v, a, o);
                TensorPrimitives.Min(o, b, o);
                break;
            case UnaryOp.Silu:
                TensorPrimitives.Sigmoid(v, o);
                TensorPrimitives.Multiply(o, v, o);
                break;
            default:
                for (int i = 0; i < v.Length; i++) o[i] = Scalar(op, v[i], a, b, c);
                break;
        }
    }

    /// <summary>The functions without a vector primitive, one value at a time.</summary>
    private static float Scalar(UnaryOp op, float x, float a, float b, float c)
    {
        switch (op)
        {
            case UnaryOp.LeakyRelu: return x > 0 ? x : a * x;
            case UnaryOp.Elu: return x > 0 ? x : a * (MathF.Exp(x) - 1);
            case UnaryOp.Softplus:
                float z = a * x;
                return z > b ? x : (MathF.Max(z, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(z)))) / a;
            case UnaryOp.Gelu: return (float)(0.5 * x * (1 + SpecialFunctions.Erf(x * InvSqrt2)));
            case UnaryOp.GeluTanh: return 0.5f * x * (1 + MathF.Tanh(Sqrt2OverPi * (x + GeluCubic * x * x * x)));
            case UnaryOp.Huber:
                float abs = MathF.Abs(x);
                return abs < a ? 0.5f * b * x * x : c * (abs - 0.5f * a);
            case UnaryOp.XLogX: return x == 0 ? 0f : x * MathF.Log(x);
            default: throw new ArgumentOutOfRangeException(nameof(op), $"cpu backend: no scalar form of {op}.");
        }
    }

    public override void UnaryBackward(UnaryOp op, Storage x, Storage y, Storage dy, Storage dx, float a = 0f, float b = 0f, float c = 0f)
    {
        ReadOnlySpan<float> xs = S(x), ys = S(y), g = S(dy);
        var d = S(dx);
        if (op == UnaryOp.Relu)
        {
            Elementwise.ReluBackward(xs, g, d);
            return;
        }
        for (int i = 0; i < d.Length; i++) d[i] = g[i] * Derivative(op, xs[i], ys[i], a, b, c);
    }

    /// <summary>f′ at x, given y = f(x).</summary>
    private static float Derivative(UnaryOp op, float x, float y, float a, float b, float c)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -1f;
            case UnaryOp.Exp: return y;
            case UnaryOp.Log: return 1f / x;
            case UnaryOp.Sqrt: return 0.5f / y;
            case UnaryOp.Abs: return MathF.Sign(x);
            case UnaryOp.Sigmoid: return y * (1 - y);
            case UnaryOp.Tanh: return 1 - y * y;
            case UnaryOp.Relu: return x > 0 ? 1f : 0f;
            case UnaryOp.LeakyRelu: return x > 0 ? 1f : a;
            case UnaryOp.Elu: return x > 0 ? 1f : y + a;
            case UnaryOp.Softplus: return a * x > b ? 1f : 1f / (1f + MathF.Exp(-a * x));
            case UnaryOp.Gelu:
                return (float)(0.5 * (1 + SpecialFunctions.Erf(x * InvSqrt2))) + x * InvSqrt2Pi * MathF.Exp(-0.5f * x * x);
            case UnaryOp.GeluTanh:
                float u = Sqrt2OverPi * (x + GeluCubic * x * x * x);
                float t = MathF.Tanh(u);
                return 0.5f * (1 + t) + 0.5f * x * (1 - t * t) * Sqrt2OverPi * (1 + 3 * GeluCubic * x * x);
            case UnaryOp.Silu:
                float s = 1f / (1f + MathF.Exp(-x));
                return s * (1 + x * (1 - s));
            case UnaryOp.Square: return 2f * x;
            case UnaryOp.Pow: return a == 0 ? 0 : a * MathF.Pow(x, a - 1);
            case UnaryOp.Clamp: return x >= a && x <= b ? 1f : 0f;
            case UnaryOp.AddScalar: return 1f;
            case UnaryOp.MulScalar: return a;
            case UnaryOp.Huber: return MathF.Abs(x) < a ? b * x : c * MathF.Sign(x);
            case UnaryOp.XLogX: return x == 0 ? 0f : MathF.Log(x) + 1;
            default: throw new ArgumentOutOfRangeException(nameof(op), $"cpu backend: no derivative of {op}.");
        }
    }
}
