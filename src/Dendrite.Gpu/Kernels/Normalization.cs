using ILGPU;
using ILGPU.Algorithms;

namespace Dendrite.Gpu.Kernels;

/// <summary>
/// Batch normalisation over x as [Batch, Channels, Size] or layer normalisation over [Rows, Size]; optional gamma,
/// beta and outputs come with a Has flag (their view is then a placeholder). Sums holds per-set Σdy and Σdy·x̂.
/// </summary>
internal struct NormArgs
{
    public ArrayView<float> X, Dy, Y, Dx, Gamma, Beta, Mean, Variance, InvStd, SumDy, SumDyXhat;
    public Flag HasGamma, HasBeta, HasDx;
    public int Batch, Channels, Size;
    public float Eps;
}

internal struct RunningArgs
{
    public ArrayView<float> RunningMean, RunningVar, Mean, Variance, Gamma, Beta, Scale, Shift, InvStd;
    public Flag HasGamma, HasBeta;
    public float Momentum, Unbias, Eps;
}

internal static partial class GpuKernels
{
    /// <summary>One thread per channel: batch mean, biased variance and 1/√(σ² + ε).</summary>
    public static void BatchNormStatistics(Index1D c, NormArgs a)
    {
        double count = (double)a.Batch * a.Size, sum = 0;
        for (int n = 0; n < a.Batch; n++)
            for (int p = 0; p < a.Size; p++) sum += a.X[(n * a.Channels + c) * a.Size + p];
        double mu = sum / count, squares = 0;
        for (int n = 0; n < a.Batch; n++)
            for (int p = 0; p < a.Size; p++)
            {
                double d = a.X[(n * a.Channels + c) * a.Size + p] - mu;
                squares += d * d;
            }
        double sigma2 = squares / count;
        a.Mean[c] = (float)mu;
        a.Variance[c] = (float)sigma2;
        a.InvStd[c] = (float)(1 / XMath.Sqrt(sigma2 + a.Eps));
    }

    /// <summary>y = (x − mean)·invStd·γ + β per element.</summary>
    public static void BatchNormApply(Index1D i, NormArgs a)
    {
        int c = i / a.Size % a.Channels;
        double y = (a.X[i] - (double)a.Mean[c]) * a.InvStd[c] * (a.HasGamma ? a.Gamma[c] : 1.0);
        a.Y[i] = (float)(y + (a.HasBeta ? a.Beta[c] : 0.0));
    }

    /// <summary>One thread per channel: Σdy and Σdy·x̂ over batch and positions.</summary>
    public static void BatchNormGradientSums(Index1D c, NormArgs a)
    {
        double mu = a.Mean[c], s = a.InvStd[c], sumDy = 0, sumDyXhat = 0;
        for (int n = 0; n < a.Batch; n++)
            for (int p = 0; p < a.Size; p++)
            {
                int i = (n * a.Channels + c) * a.Size + p;
                sumDy += a.Dy[i];
                sumDyXhat += a.Dy[i] * (a.X[i] - mu) * s;
            }
        a.SumDy[c] = (float)sumDy;
        a.SumDyXhat[c] = (float)sumDyXhat;
    }

    /// <summary>dx = γ·s·(dy − Σdy/M − x̂·Σdy·x̂/M) per element.</summary>
    public static void BatchNormBackwardData(Index1D i, NormArgs a)
    {
        int c = i / a.Size % a.Channels;
        double count = (double)a.Batch * a.Size, s = a.InvStd[c];
        double xhat = (a.X[i] - (double)a.Mean[c]) * s;
        double scale = a.HasGamma ? a.Gamma[c] : 1.0;
        a.Dx[i] = (float)(scale * s * (a.Dy[i] - a.SumDy[c] / count - xhat * a.SumDyXhat[c] / count));
    }

    public static void UpdateRunningStatistics(Index1D c, RunningArgs a)
    {
        a.RunningMean[c] = (1 - a.Momentum) * a.RunningMean[c] + a.Momentum * a.Mean[c];
        a.RunningVar[c] = (1 - a.Momentum) * a.RunningVar[c] + a.Momentum * a.Variance[c] * a.Unbias;
    }

    public static void BatchNormEvalCoefficients(Index1D c, RunningArgs a)
    {
        double s = 1 / XMath.Sqrt((double)a.RunningVar[c] + a.Eps);
        double scaled = (a.HasGamma ? a.Gamma[c] : 1.0) * s;
        a.InvStd[c] = (float)s;
        a.Scale[c] = (float)scaled;
        a.Shift[c] = (float)((a.HasBeta ? a.Beta[c] : 0.0) - a.RunningMean[c] * scaled);
    }

    /// <summary>y = x·scale[c] + shift[c] (Gamma = scale, Beta = shift).</summary>
    public static void ScaleShift(Index1D i, NormArgs a)
    {
        int c = i / a.Size % a.Channels;
        a.Y[i] = (float)((double)a.X[i] * a.Gamma[c] + (a.HasBeta ? a.Beta[c] : 0.0));
    }

    /// <summary>One thread per row (Batch = rows): mean, 1/√(σ² + ε), then the row normalised.</summary>
    public static void LayerNorm(Index1D r, NormArgs a)
    {
        int size = a.Size;
        double sum = 0;
        for (int j = 0; j < size; j++) sum += a.X[r * size + j];
        double mu = sum / size, squares = 0;
        for (int j = 0; j < size; j++)
        {
            double d = a.X[r * size + j] - mu;
            squares += d * d;
        }
        double s = 1 / XMath.Sqrt(squares / size + a.Eps);
        a.Mean[r] = (float)mu;
        a.InvStd[r] = (float)s;
        for (int j = 0; j < size; j++)
        {
            double xhat = (a.X[r * size + j] - mu) * s;
            a.Y[r * size + j] = (float)(xhat * (a.HasGamma ? a.Gamma[j] : 1.0) + (a.HasBeta ? a.Beta[j] : 0.0));
        }
    }

    /// <summary>One thread per row: dx = s·(g − mean(g) − x̂·mean(g·x̂)), g = γ·dy.</summary>
    public static void LayerNormBackwardData(Index1D r, NormArgs a)
    {
        int size = a.Size;
        double mu = a.Mean[r], s = a.InvStd[r], meanG = 0, meanGXhat = 0;
        for (int j = 0; j < size; j++)
        {
            double xhat = (a.X[r * size + j] - mu) * s;
            double g = a.Dy[r * size + j] * (a.HasGamma ? a.Gamma[j] : 1.0);
            meanG += g / size;
            meanGXhat += g * xhat / size;
        }
        for (int j = 0; j < size; j++)
        {
            double xhat = (a.X[r * size + j] - mu) * s;
            double g = a.Dy[r * size + j] * (a.HasGamma ? a.Gamma[j] : 1.0);
            a.Dx[r * size + j] = (float)(s * (g - meanG - xhat * meanGXhat));
        }
    }

    /// <summary>One thread per position j (Batch = rows): Σdy and Σdy·x̂ down the rows.</summary>
    public static void LayerNormGradientSums(Index1D j, NormArgs a)
    {
        double sumDy = 0, sumDyXhat = 0;
        for (int r = 0; r < a.Batch; r++)
        {
            int i = r * a.Size + j;
            sumDy += a.Dy[i];
            sumDyXhat += a.Dy[i] * (a.X[i] - (double)a.Mean[r]) * a.InvStd[r];
        }
        a.SumDy[j] = (float)sumDy;
        a.SumDyXhat[j] = (float)sumDyXhat;
    }
}
