using Dendrite.Backends;
using ILGPU;
using ILGPU.Algorithms;

namespace Dendrite.Gpu.Kernels;

internal struct UnaryArgs
{
    public ArrayView<float> X, Dy, Y;
    public UnaryOp Op;
    public double A, B, C;
}

internal struct BinaryArgs { public ArrayView<float> A, B, Y; public IndexMap Map; public BinaryOp Op; }

/// <summary>
/// t[j] = Σ g over the reduced dimensions: t's element j (multi-index over <see cref="TDims"/>, g's rank, 1 where t
/// was broadcast) starts at Σ index·GStrides, and the <see cref="ReducedCount"/> terms step along the dimensions
/// where t has 1 and g more.
/// </summary>
internal struct SumToArgs
{
    public ArrayView<float> G, T;
    public int Rank, ReducedCount;
    public Dims8 TDims, GDims, GStrides;
}

internal struct PairArgs { public ArrayView<float> X, Y; }

internal static partial class GpuKernels
{
    public static void Unary(Index1D i, UnaryArgs a) => a.Y[i] = (float)KernelMath.Function(a.Op, a.X[i], a.A, a.B, a.C);

    /// <summary>dx = dy·f′(x), f′ from x alone as the reference takes it; the output view is <see cref="UnaryArgs.Y"/>.</summary>
    public static void UnaryBackward(Index1D i, UnaryArgs a) =>
        a.Y[i] = (float)(a.Dy[i] * KernelMath.Derivative(a.Op, a.X[i], a.A, a.B, a.C));

    public static void Binary(Index1D i, BinaryArgs a)
    {
        a.Map.Locate(i, out int ia, out int ib);
        float u = a.A[ia], v = a.B[ib];
        a.Y[i] = a.Op switch
        {
            BinaryOp.Add => u + v,
            BinaryOp.Sub => u - v,
            BinaryOp.Mul => u * v,
            BinaryOp.Div => u / v,
            _ => (float)XMath.Pow((double)u, v),
        };
    }

    public static void SumTo(Index1D j, SumToArgs a)
    {
        int flat = j, start = 0;
        for (int d = a.Rank - 1; d >= 0; d--)
        {
            int size = a.TDims.Get(d);
            start += flat % size * a.GStrides.Get(d);
            flat /= size;
        }
        double sum = 0;
        for (int r = 0; r < a.ReducedCount; r++)
        {
            int rest = r, offset = start;
            for (int d = a.Rank - 1; d >= 0; d--)
            {
                if (a.TDims.Get(d) != 1 || a.GDims.Get(d) == 1) continue;
                int size = a.GDims.Get(d);
                offset += rest % size * a.GStrides.Get(d);
                rest /= size;
            }
            sum += a.G[offset];
        }
        a.T[j] = (float)sum;
    }

    /// <summary>Y += X (the tape's accumulation).</summary>
    public static void Accumulate(Index1D i, PairArgs a) => a.Y[i] += a.X[i];
}

/// <summary>The scalar functions kernels share: ordinary static methods that ILGPU inlines into each kernel.</summary>
internal static class KernelMath
{
#pragma warning disable CS1718 // Why: NaN is the one value unequal to itself, which every ILGPU backend compiles.
    public static bool IsNaN(float v) => v != v;
#pragma warning restore CS1718

    public static double Sigmoid(double x) => 1 / (1 + XMath.Exp(-x));

    public static double Sign(double x) => x > 0 ? 1 : x < 0 ? -1 : 0;

    /// <summary>erf in double, the reference's method: Maclaurin series below 2.5, erfc's continued fraction above.</summary>
    public static double Erf(double x)
    {
        double z = XMath.Abs(x), result;
        if (z < 2.5)
        {
            double term = z, sum = z, z2 = z * z;
            for (int n = 1; n < 200; n++)
            {
                term *= -z2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (XMath.Abs(add) < 1e-17 * XMath.Abs(sum)) break;
            }
            result = sum * 2.0 / XMath.Sqrt(Math.PI);
        }
        else
        {
            double f = z;
            for (int k = 60; k >= 1; k--) f = z + k / 2.0 / f;
            result = 1.0 - XMath.Exp(-z * z) / XMath.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -result : result;
    }

    public static double NormalCdf(double x) => 0.5 * (1 + Erf(x / XMath.Sqrt(2.0)));

    public static double GeluTanhArgument(double x) => XMath.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);

    /// <summary>f(x), as <c>ReferenceBackend.Function</c>.</summary>
    public static double Function(UnaryOp op, double x, double a, double b, double c)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -x;
            case UnaryOp.Exp: return XMath.Exp(x);
            case UnaryOp.Log: return XMath.Log(x);
            case UnaryOp.Sqrt: return XMath.Sqrt(x);
            case UnaryOp.Abs: return XMath.Abs(x);
            case UnaryOp.Sigmoid: return Sigmoid(x);
            case UnaryOp.Tanh: return XMath.Tanh(x);
            case UnaryOp.Relu: return x > 0 ? x : 0;
            case UnaryOp.LeakyRelu: return x > 0 ? x : a * x;
            case UnaryOp.Elu: return x > 0 ? x : a * (XMath.Exp(x) - 1);
            case UnaryOp.Softplus:
                double z = a * x;
                return z > b ? x : (XMath.Max(z, 0.0) + XMath.Log(1 + XMath.Exp(-XMath.Abs(z)))) / a;
            case UnaryOp.Gelu: return x * NormalCdf(x);
            case UnaryOp.GeluTanh: return 0.5 * x * (1 + XMath.Tanh(GeluTanhArgument(x)));
            case UnaryOp.Silu: return x * Sigmoid(x);
            case UnaryOp.Square: return x * x;
            case UnaryOp.Pow: return XMath.Pow(x, a);
            case UnaryOp.Clamp: return XMath.Min(XMath.Max(x, a), b);
            case UnaryOp.AddScalar: return x + a;
            case UnaryOp.MulScalar: return x * a;
            case UnaryOp.XLogX: return x == 0 ? 0 : x * XMath.Log(x);
            default: return XMath.Abs(x) < a ? 0.5 * b * x * x : c * (XMath.Abs(x) - 0.5 * a); // Huber
        }
    }

    /// <summary>f′(x), as <c>ReferenceBackend.Derivative</c>.</summary>
    public static double Derivative(UnaryOp op, double x, double a, double b, double c)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -1;
            case UnaryOp.Exp: return XMath.Exp(x);
            case UnaryOp.Log: return 1 / x;
            case UnaryOp.Sqrt: return 0.5 / XMath.Sqrt(x);
            case UnaryOp.Abs: return Sign(x);
            case UnaryOp.Sigmoid: return Sigmoid(x) * (1 - Sigmoid(x));
            case UnaryOp.Tanh: return 1 - XMath.Tanh(x) * XMath.Tanh(x);
            case UnaryOp.Relu: return x > 0 ? 1 : 0;
            case UnaryOp.LeakyRelu: return x > 0 ? 1 : a;
            case UnaryOp.Elu: return x > 0 ? 1 : a * XMath.Exp(x);
            case UnaryOp.Softplus: return a * x > b ? 1 : Sigmoid(a * x);
            case UnaryOp.Gelu: return NormalCdf(x) + x * XMath.Exp(-0.5 * x * x) / XMath.Sqrt(2 * Math.PI);
            case UnaryOp.GeluTanh:
                double t = XMath.Tanh(GeluTanhArgument(x));
                double dArgument = XMath.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * x * x);
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dArgument;
            case UnaryOp.Silu: return Sigmoid(x) * (1 + x * (1 - Sigmoid(x)));
            case UnaryOp.Square: return 2 * x;
            case UnaryOp.Pow: return a == 0 ? 0 : a * XMath.Pow(x, a - 1);
            case UnaryOp.Clamp: return x >= a && x <= b ? 1 : 0;
            case UnaryOp.AddScalar: return 1;
            case UnaryOp.MulScalar: return a;
            case UnaryOp.XLogX: return x == 0 ? 0 : XMath.Log(x) + 1;
            default: return XMath.Abs(x) < a ? b * x : c * Sign(x); // Huber
        }
    }
}
