using Dendrite.Backends;
using Dendrite.Gpu.Kernels;
using ILGPU;

namespace Dendrite.Gpu;

/// <remarks>
/// The reference's derivation (ReferenceBackend.Normalization): statistics one thread per set (channel or row), then
/// one thread per element; the backward pass's Σdy and Σdy·x̂ go to scratch when their outputs are not wanted.
/// </remarks>
public sealed partial class GpuBackend
{
    private Action<Index1D, NormArgs>? _bnStatistics, _bnApply, _bnSums, _bnBackwardData, _scaleShift, _layerNorm,
        _layerNormBackwardData, _layerNormSums;
    private Action<Index1D, RunningArgs>? _updateRunning, _evalCoefficients;

    private NormArgs Norm(int batch, int channels, int size, Storage x, Storage? gamma, Storage? beta, float eps) => new()
    {
        X = View(x), Dy = _placeholder.View, Y = _placeholder.View, Dx = _placeholder.View,
        Gamma = ViewOrPlaceholder(gamma), Beta = ViewOrPlaceholder(beta), Mean = _placeholder.View,
        Variance = _placeholder.View, InvStd = _placeholder.View, SumDy = _placeholder.View, SumDyXhat = _placeholder.View,
        HasGamma = gamma is not null, HasBeta = beta is not null, Batch = batch, Channels = channels, Size = size, Eps = eps,
    };

    /// <summary>Where Σdy and Σdy·x̂ go: the wanted outputs, else scratch (both in one area).</summary>
    private void GradientSums(ref NormArgs a, Storage? dBeta, Storage? dGamma, int count)
    {
        var scratch = Scratch(2 * count);
        a.SumDy = dBeta is null ? scratch.SubView(0, count) : View(dBeta);
        a.SumDyXhat = dGamma is null ? scratch.SubView(count, count) : View(dGamma);
    }

    public override void BatchNormTrain(int batch, int channels, int size, Storage x, Storage? gamma, Storage? beta,
        float eps, Storage y, Storage mean, Storage variance, Storage invStd)
    {
        var a = Norm(batch, channels, size, x, gamma, beta, eps);
        a.Y = View(y);
        a.Mean = View(mean);
        a.Variance = View(variance);
        a.InvStd = View(invStd);
        Launch(ref _bnStatistics, GpuKernels.BatchNormStatistics, channels, a);
        Launch(ref _bnApply, GpuKernels.BatchNormApply, x.Length, a);
    }

    public override void BatchNormTrainBackward(int batch, int channels, int size, Storage x, Storage dy,
        Storage? gamma, Storage mean, Storage invStd, Storage? dx, Storage? dGamma, Storage? dBeta)
    {
        var a = Norm(batch, channels, size, x, gamma, null, 0f);
        a.Dy = View(dy);
        a.Mean = View(mean);
        a.InvStd = View(invStd);
        GradientSums(ref a, dBeta, dGamma, channels);
        Launch(ref _bnSums, GpuKernels.BatchNormGradientSums, channels, a);
        if (dx is null) return;
        a.Dx = View(dx);
        Launch(ref _bnBackwardData, GpuKernels.BatchNormBackwardData, x.Length, a);
    }

    public override void UpdateRunningStatistics(Storage runningMean, Storage runningVar, Storage mean,
        Storage biasedVariance, float momentum, float unbias) =>
        Launch(ref _updateRunning, GpuKernels.UpdateRunningStatistics, runningMean.Length, new RunningArgs
        {
            RunningMean = View(runningMean), RunningVar = View(runningVar), Mean = View(mean), Variance = View(biasedVariance),
            Gamma = _placeholder.View, Beta = _placeholder.View, Scale = _placeholder.View, Shift = _placeholder.View,
            InvStd = _placeholder.View, Momentum = momentum, Unbias = unbias,
        });

    public override void BatchNormEvalCoefficients(Storage runningMean, Storage runningVar, Storage? gamma,
        Storage? beta, float eps, Storage scale, Storage shift, Storage invStd) =>
        Launch(ref _evalCoefficients, GpuKernels.BatchNormEvalCoefficients, runningMean.Length, new RunningArgs
        {
            RunningMean = View(runningMean), RunningVar = View(runningVar), Mean = _placeholder.View, Variance = _placeholder.View,
            Gamma = ViewOrPlaceholder(gamma), Beta = ViewOrPlaceholder(beta), Scale = View(scale), Shift = View(shift),
            InvStd = View(invStd), HasGamma = gamma is not null, HasBeta = beta is not null, Eps = eps,
        });

    public override void ScaleShift(int batch, int channels, int size, Storage x, Storage scale, Storage? shift,
        Storage y)
    {
        var a = Norm(batch, channels, size, x, scale, shift, 0f);
        a.Y = View(y);
        Launch(ref _scaleShift, GpuKernels.ScaleShift, x.Length, a);
    }

    public override void LayerNorm(int rows, int size, Storage x, Storage? gamma, Storage? beta, float eps, Storage y,
        Storage mean, Storage invStd)
    {
        var a = Norm(rows, 1, size, x, gamma, beta, eps);
        a.Y = View(y);
        a.Mean = View(mean);
        a.InvStd = View(invStd);
        Launch(ref _layerNorm, GpuKernels.LayerNorm, rows, a);
    }

    public override void LayerNormBackward(int rows, int size, Storage x, Storage dy, Storage? gamma, Storage mean,
        Storage invStd, Storage? dx, Storage? dGamma, Storage? dBeta)
    {
        var a = Norm(rows, 1, size, x, gamma, null, 0f);
        a.Dy = View(dy);
        a.Mean = View(mean);
        a.InvStd = View(invStd);
        if (dx is not null)
        {
            a.Dx = View(dx);
            Launch(ref _layerNormBackwardData, GpuKernels.LayerNormBackwardData, rows, a);
        }
        if (dGamma is null && dBeta is null) return;
        GradientSums(ref a, dBeta, dGamma, size);
        Launch(ref _layerNormSums, GpuKernels.LayerNormGradientSums, size, a);
    }
}
