using ILGPU;
using ILGPU.Algorithms;

namespace Dendrite.Gpu.Kernels;

/// <summary>Logits, log-probabilities and targets as [Outer, Classes, Inner]; per-sample values as [Outer, Inner].</summary>
internal struct ClassArgs
{
    public ArrayView<float> Logp, Q, Target, PerSample, Dy, DInput, ClassWeights;
    public Flag TargetIsProbabilities, PerSampleGradient, HasClassWeights;
    public int Classes, Inner, IgnoreIndex;
    public float LabelSmoothing, Scale;
}

internal struct BceArgs { public ArrayView<float> P, T, Dy, Y, Dt; public Flag HasDt; }

internal static partial class GpuKernels
{
    private static double ClassWeight(ClassArgs a, int k) => a.HasClassWeights ? a.ClassWeights[k] : 1.0;

    private static double SampleGradient(ClassArgs a, int sample) =>
        a.PerSampleGradient ? a.Dy[sample] : a.Dy[0] * a.Scale;

    /// <summary>One thread per sample: q and −Σ q·logp, after <see cref="Softmax"/> wrote logp.</summary>
    public static void CrossEntropyForward(Index1D sample, ClassArgs a)
    {
        int o = sample / a.Inner, i = sample % a.Inner;
        bool ignored = !a.TargetIsProbabilities && a.Target[sample] == a.IgnoreIndex;
        double loss = 0;
        for (int k = 0; k < a.Classes; k++)
        {
            int at = (o * a.Classes + k) * a.Inner + i;
            double given = a.TargetIsProbabilities ? a.Target[at] : (a.Target[sample] == k ? 1 : 0);
            float qk = ignored ? 0f
                : (float)(ClassWeight(a, k) * ((1 - a.LabelSmoothing) * given + (double)a.LabelSmoothing / a.Classes));
            a.Q[at] = qk;
            if (!ignored) loss -= qk * (double)a.Logp[at];
        }
        a.PerSample[sample] = (float)loss;
    }

    /// <summary>One thread per sample: dlogits = g·(softmax·Σq − q).</summary>
    public static void CrossEntropyBackward(Index1D sample, ClassArgs a)
    {
        int o = sample / a.Inner, i = sample % a.Inner;
        bool ignored = !a.TargetIsProbabilities && a.Target[sample] == a.IgnoreIndex;
        double g = SampleGradient(a, sample), qSum = 0;
        for (int k = 0; k < a.Classes; k++) qSum += a.Q[(o * a.Classes + k) * a.Inner + i];
        for (int k = 0; k < a.Classes; k++)
        {
            int at = (o * a.Classes + k) * a.Inner + i;
            a.DInput[at] = ignored ? 0f : (float)(g * (XMath.Exp((double)a.Logp[at]) * qSum - a.Q[at]));
        }
    }

    /// <summary>Logp = the input log-probabilities.</summary>
    public static void NllForward(Index1D sample, ClassArgs a)
    {
        int o = sample / a.Inner, i = sample % a.Inner;
        float t = a.Target[sample];
        a.PerSample[sample] = t == a.IgnoreIndex
            ? 0f
            : (float)(-ClassWeight(a, (int)t) * a.Logp[(o * a.Classes + (int)t) * a.Inner + i]);
    }

    /// <summary>One thread per input element.</summary>
    public static void NllBackward(Index1D e, ClassArgs a)
    {
        int i = e % a.Inner, k = e / a.Inner % a.Classes, o = e / a.Inner / a.Classes;
        int sample = o * a.Inner + i;
        float t = a.Target[sample];
        bool hit = t != a.IgnoreIndex && (int)t == k;
        a.DInput[e] = hit ? (float)(-ClassWeight(a, k) * SampleGradient(a, sample)) : 0f;
    }

    private static double ClampedLog(double v) => XMath.Max(XMath.Log(v), -100.0);

    public static void BinaryCrossEntropy(Index1D i, BceArgs a) =>
        a.Y[i] = (float)-(a.T[i] * ClampedLog(a.P[i]) + (1 - (double)a.T[i]) * ClampedLog(1 - (double)a.P[i]));

    /// <summary>Y = dp.</summary>
    public static void BinaryCrossEntropyBackward(Index1D i, BceArgs a)
    {
        double p = a.P[i];
        a.Y[i] = (float)(a.Dy[i] * (p - a.T[i]) / XMath.Max(p * (1 - p), 1e-12));
        if (a.HasDt) a.Dt[i] = (float)(a.Dy[i] * (ClampedLog(1 - p) - ClampedLog(p)));
    }

    /// <summary>P = the logits x.</summary>
    public static void BinaryCrossEntropyWithLogits(Index1D i, BceArgs a)
    {
        double v = a.P[i];
        a.Y[i] = (float)(XMath.Max(v, 0.0) - v * a.T[i] + XMath.Log(1 + XMath.Exp(-XMath.Abs(v))));
    }

    /// <summary>P = the logits x, Y = dx.</summary>
    public static void BinaryCrossEntropyWithLogitsBackward(Index1D i, BceArgs a)
    {
        a.Y[i] = (float)(a.Dy[i] * (KernelMath.Sigmoid(a.P[i]) - a.T[i]));
        if (a.HasDt) a.Dt[i] = -a.Dy[i] * a.P[i];
    }
}
