using ILGPU;
using ILGPU.Algorithms;

namespace Dendrite.Gpu.Kernels;

/// <summary>One parameter element per thread; state views a rule does not use are placeholders, flags say which exist.</summary>
internal struct UpdateArgs
{
    public ArrayView<float> P, Grad, S1, S2, S3;
    public Flag HasS1, HasS3, Flag1, Flag2;
    public float Lr, WeightDecay, F1, F2, F3, F4, F5;
}

internal static partial class GpuKernels
{
    /// <summary>S1 = momentum buffer; F1 = momentum, F2 = dampening; Flag1 = Nesterov, Flag2 = first momentum step.</summary>
    public static void SgdUpdate(Index1D i, UpdateArgs a)
    {
        float g = a.Grad[i] + a.WeightDecay * a.P[i];
        if (a.HasS1)
        {
            a.S1[i] = a.Flag2 ? g : a.F1 * a.S1[i] + (1 - a.F2) * g;
            g = a.Flag1 ? g + a.F1 * a.S1[i] : a.S1[i];
        }
        a.P[i] -= a.Lr * g;
    }

    /// <summary>S1 = m, S2 = v, S3 = vMax; Flag1 = decoupled; F1 = β₁, F2 = β₂, F3 = ε, F4 = 1 − β₁ᵗ, F5 = 1 − β₂ᵗ.</summary>
    public static void AdamUpdate(Index1D i, UpdateArgs a)
    {
        float g = a.Grad[i];
        if (a.Flag1) a.P[i] *= 1 - a.Lr * a.WeightDecay;
        else g += a.WeightDecay * a.P[i];
        a.S1[i] = a.F1 * a.S1[i] + (1 - a.F1) * g;
        a.S2[i] = a.F2 * a.S2[i] + (1 - a.F2) * g * g;
        float vHat = a.S2[i];
        if (a.HasS3)
        {
            a.S3[i] = XMath.Max(a.S3[i], a.S2[i]);
            vHat = a.S3[i];
        }
        float denominator = XMath.Sqrt(vHat) / XMath.Sqrt(a.F5) + a.F3;
        a.P[i] -= a.Lr / a.F4 * a.S1[i] / denominator;
    }

    /// <summary>S1 = square average, S2 = momentum buffer, S3 = gradient average; F1 = α, F2 = ε, F3 = momentum.</summary>
    public static void RmsPropUpdate(Index1D i, UpdateArgs a)
    {
        float g = a.Grad[i] + a.WeightDecay * a.P[i];
        a.S1[i] = a.F1 * a.S1[i] + (1 - a.F1) * g * g;
        float variance = a.S1[i];
        if (a.HasS3)
        {
            a.S3[i] = a.F1 * a.S3[i] + (1 - a.F1) * g;
            variance -= a.S3[i] * a.S3[i];
        }
        float denominator = XMath.Sqrt(variance) + a.F2;
        if (a.F3 > 0)
        {
            a.S2[i] = a.F3 * a.S2[i] + g / denominator;
            a.P[i] -= a.Lr * a.S2[i];
        }
        else
        {
            a.P[i] -= a.Lr * g / denominator;
        }
    }

    /// <summary>S1 = sum of squares; Lr = the decayed rate; F2 = ε.</summary>
    public static void AdagradUpdate(Index1D i, UpdateArgs a)
    {
        float g = a.Grad[i] + a.WeightDecay * a.P[i];
        a.S1[i] += g * g;
        a.P[i] -= a.Lr * g / (XMath.Sqrt(a.S1[i]) + a.F2);
    }

    /// <summary>S1 = square average, S2 = accumulated delta; F1 = ρ, F2 = ε.</summary>
    public static void AdadeltaUpdate(Index1D i, UpdateArgs a)
    {
        float g = a.Grad[i] + a.WeightDecay * a.P[i];
        a.S1[i] = a.F1 * a.S1[i] + (1 - a.F1) * g * g;
        float delta = XMath.Sqrt(a.S2[i] + a.F2) / XMath.Sqrt(a.S1[i] + a.F2) * g;
        a.S2[i] = a.F1 * a.S2[i] + (1 - a.F1) * delta * delta;
        a.P[i] -= a.Lr * delta;
    }

    /// <summary>P = the average, Grad = the value; F1 = decay.</summary>
    public static void MovingAverageUpdate(Index1D i, UpdateArgs a) => a.P[i] = a.F1 * a.P[i] + (1 - a.F1) * a.Grad[i];
}
