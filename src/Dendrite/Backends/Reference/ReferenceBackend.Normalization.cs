namespace Dendrite.Backends.Reference;

/// <remarks>
/// Both normalisations share one derivation. Over a set of M values with mean μ and biased variance σ², let
/// s = 1/√(σ² + ε) and x̂ = (x − μ)·s, y = γx̂ + β. Then dβ = Σdy, dγ = Σdy·x̂, and with g = γ·dy (dμ/dx = 1/M,
/// dσ²/dx = 2(x − μ)/M): dx = s·(g − mean(g) − x̂·mean(g·x̂)). Batch norm takes the set per channel over the batch
/// and positions (γ one number per channel), layer norm per row (γ one number per position).
/// </remarks>
public sealed partial class ReferenceBackend
{
    public override void BatchNormTrain(int batch, int channels, int size, Storage x, Storage? gamma, Storage? beta,
        float eps, Storage y, Storage mean, Storage variance, Storage invStd)
    {
        var input = Values(x);
        var output = Values(y);
        var w = OptionalValues(gamma);
        var b = OptionalValues(beta);
        for (int c = 0; c < channels; c++)
        {
            double count = (double)batch * size;
            double sum = 0;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < size; p++) sum += input[(n * channels + c) * size + p];
            double mu = sum / count;
            double squares = 0;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < size; p++) squares += Math.Pow(input[(n * channels + c) * size + p] - mu, 2);
            double sigma2 = squares / count;
            double s = 1 / Math.Sqrt(sigma2 + eps);
            Values(mean)[c] = (float)mu;
            Values(variance)[c] = (float)sigma2;
            Values(invStd)[c] = (float)s;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < size; p++)
                {
                    int i = (n * channels + c) * size + p;
                    output[i] = (float)((input[i] - mu) * s * (w.IsEmpty ? 1 : w[c]) + (b.IsEmpty ? 0 : b[c]));
                }
        }
    }

    public override void BatchNormTrainBackward(int batch, int channels, int size, Storage x, Storage dy,
        Storage? gamma, Storage mean, Storage invStd, Storage? dx, Storage? dGamma, Storage? dBeta)
    {
        var input = Values(x);
        var g = Values(dy);
        var w = OptionalValues(gamma);
        for (int c = 0; c < channels; c++)
        {
            double mu = Values(mean)[c];
            double s = Values(invStd)[c];
            double count = (double)batch * size;
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < size; p++)
                {
                    int i = (n * channels + c) * size + p;
                    sumDy += g[i];
                    sumDyXhat += g[i] * (input[i] - mu) * s;
                }
            if (dBeta is not null) Values(dBeta)[c] = (float)sumDy;
            if (dGamma is not null) Values(dGamma)[c] = (float)sumDyXhat;
            if (dx is null) continue;
            double scale = w.IsEmpty ? 1 : w[c];
            var d = Values(dx);
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < size; p++)
                {
                    int i = (n * channels + c) * size + p;
                    double xhat = (input[i] - mu) * s;
                    d[i] = (float)(scale * s * (g[i] - sumDy / count - xhat * sumDyXhat / count));
                }
        }
    }

    public override void UpdateRunningStatistics(Storage runningMean, Storage runningVar, Storage mean,
        Storage biasedVariance, float momentum, float unbias)
    {
        var rm = Values(runningMean);
        var rv = Values(runningVar);
        var m = Values(mean);
        var v = Values(biasedVariance);
        for (int c = 0; c < rm.Length; c++)
        {
            rm[c] = (1 - momentum) * rm[c] + momentum * m[c];
            rv[c] = (1 - momentum) * rv[c] + momentum * v[c] * unbias;
        }
    }

    public override void BatchNormEvalCoefficients(Storage runningMean, Storage runningVar, Storage? gamma,
        Storage? beta, float eps, Storage scale, Storage shift, Storage invStd)
    {
        var rm = Values(runningMean);
        var rv = Values(runningVar);
        var w = OptionalValues(gamma);
        var b = OptionalValues(beta);
        for (int c = 0; c < rm.Length; c++)
        {
            double s = 1 / Math.Sqrt((double)rv[c] + eps);
            double scaled = (w.IsEmpty ? 1 : w[c]) * s;
            Values(invStd)[c] = (float)s;
            Values(scale)[c] = (float)scaled;
            Values(shift)[c] = (float)((b.IsEmpty ? 0 : b[c]) - rm[c] * scaled);
        }
    }

    public override void ScaleShift(int batch, int channels, int size, Storage x, Storage scale, Storage? shift,
        Storage y)
    {
        var input = Values(x);
        var output = Values(y);
        var a = Values(scale);
        var b = OptionalValues(shift);
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < size; p++)
                {
                    int i = (n * channels + c) * size + p;
                    output[i] = (float)((double)input[i] * a[c] + (b.IsEmpty ? 0 : b[c]));
                }
    }

    public override void LayerNorm(int rows, int size, Storage x, Storage? gamma, Storage? beta, float eps, Storage y,
        Storage mean, Storage invStd)
    {
        var input = Values(x);
        var output = Values(y);
        var w = OptionalValues(gamma);
        var b = OptionalValues(beta);
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int j = 0; j < size; j++) sum += input[r * size + j];
            double mu = sum / size;
            double squares = 0;
            for (int j = 0; j < size; j++) squares += Math.Pow(input[r * size + j] - mu, 2);
            double s = 1 / Math.Sqrt(squares / size + eps);
            Values(mean)[r] = (float)mu;
            Values(invStd)[r] = (float)s;
            for (int j = 0; j < size; j++)
            {
                double xhat = (input[r * size + j] - mu) * s;
                output[r * size + j] = (float)(xhat * (w.IsEmpty ? 1 : w[j]) + (b.IsEmpty ? 0 : b[j]));
            }
        }
    }

    public override void LayerNormBackward(int rows, int size, Storage x, Storage dy, Storage? gamma, Storage mean,
        Storage invStd, Storage? dx, Storage? dGamma, Storage? dBeta)
    {
        var input = Values(x);
        var gy = Values(dy);
        var w = OptionalValues(gamma);
        var sumDyXhat = new double[size];
        var sumDy = new double[size];
        for (int r = 0; r < rows; r++)
        {
            double mu = Values(mean)[r];
            double s = Values(invStd)[r];
            double meanG = 0;
            double meanGXhat = 0;
            for (int j = 0; j < size; j++)
            {
                double xhat = (input[r * size + j] - mu) * s;
                double g = gy[r * size + j] * (w.IsEmpty ? 1 : w[j]);
                sumDy[j] += gy[r * size + j];
                sumDyXhat[j] += gy[r * size + j] * xhat;
                meanG += g / size;
                meanGXhat += g * xhat / size;
            }
            if (dx is null) continue;
            var d = Values(dx);
            for (int j = 0; j < size; j++)
            {
                double xhat = (input[r * size + j] - mu) * s;
                double g = gy[r * size + j] * (w.IsEmpty ? 1 : w[j]);
                d[r * size + j] = (float)(s * (g - meanG - xhat * meanGXhat));
            }
        }
        if (dGamma is not null) WriteSums(sumDyXhat, dGamma);
        if (dBeta is not null) WriteSums(sumDy, dBeta);
    }
}
