using ILGPU;
using ILGPU.Algorithms;

namespace Dendrite.Gpu.Kernels;

/// <summary>x as [outer, N, inner]; Y and ArgMax as [outer, inner] (Max), or X/Y the other way round (MaxBackward).</summary>
internal struct AxisArgs
{
    public ArrayView<float> X, Y, ArgMax;
    public int N, Inner;
    public Flag Log;
}

/// <summary>Partials[t] = Σ X[t], X[t + P], … over the P = <see cref="GpuKernels.PartialCount"/> threads; then one thread sums the partials.</summary>
internal struct SumAllArgs
{
    public ArrayView<float> X, Y;
    public ArrayView<double> Partials;
    public double Scale;
}

internal static partial class GpuKernels
{
    /// <summary>Threads of the first pass of a whole-tensor sum: enough to fill a GPU's memory pipes, few for the second pass.</summary>
    public const int PartialCount = 1024;

    public static void SumAllPartials(Index1D t, SumAllArgs a)
    {
        double sum = 0;
        for (int i = t; i < a.X.IntLength; i += PartialCount) sum += a.X[i];
        a.Partials[t] = sum;
    }

    /// <summary>One thread: Y[0] = Scale · Σ partials, in a fixed order.</summary>
    public static void SumAllFinish(Index1D t, SumAllArgs a)
    {
        double sum = 0;
        for (int p = 0; p < PartialCount; p++) sum += a.Partials[p];
        a.Y[0] = (float)(a.Scale * sum);
    }

    public static void SumAxis(Index1D j, AxisArgs a)
    {
        int o = j / a.Inner, i = j % a.Inner;
        double sum = 0;
        for (int k = 0; k < a.N; k++) sum += a.X[(o * a.N + k) * a.Inner + i];
        a.Y[j] = (float)sum;
    }

    /// <summary>A later value takes the lead when larger, or when it is the first NaN (NaN wins, as in PyTorch).</summary>
    private static bool Beats(float candidate, float current) =>
        !KernelMath.IsNaN(current) && (candidate > current || KernelMath.IsNaN(candidate));

    public static void MaxAxis(Index1D j, AxisArgs a)
    {
        int o = j / a.Inner, i = j % a.Inner;
        int winner = 0;
        for (int k = 1; k < a.N; k++)
            if (Beats(a.X[(o * a.N + k) * a.Inner + i], a.X[(o * a.N + winner) * a.Inner + i])) winner = k;
        a.Y[j] = a.X[(o * a.N + winner) * a.Inner + i];
        a.ArgMax[j] = winner;
    }

    /// <summary>One thread per dx element (X = dy, Y = dx).</summary>
    public static void MaxAxisBackward(Index1D e, AxisArgs a)
    {
        int i = e % a.Inner, k = e / a.Inner % a.N, o = e / a.Inner / a.N;
        int j = o * a.Inner + i;
        a.Y[e] = (int)a.ArgMax[j] == k ? a.X[j] : 0f;
    }

    public static void Softmax(Index1D j, AxisArgs a)
    {
        int o = j / a.Inner, i = j % a.Inner;
        double max = double.NegativeInfinity;
        for (int k = 0; k < a.N; k++) max = XMath.Max(max, (double)a.X[(o * a.N + k) * a.Inner + i]);
        double sum = 0;
        for (int k = 0; k < a.N; k++) sum += XMath.Exp(a.X[(o * a.N + k) * a.Inner + i] - max);
        double logSum = XMath.Log(sum);
        for (int k = 0; k < a.N; k++)
        {
            int at = (o * a.N + k) * a.Inner + i;
            double shifted = a.X[at] - max;
            a.Y[at] = (float)(a.Log ? shifted - logSum : XMath.Exp(shifted) / sum);
        }
    }
}
