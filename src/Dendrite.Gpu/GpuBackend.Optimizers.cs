using Dendrite.Backends;
using Dendrite.Gpu.Kernels;
using ILGPU;

namespace Dendrite.Gpu;

/// <remarks>Each rule is the reference's, one parameter element per thread, in float32 as PyTorch's; state stays on the device.</remarks>
public sealed partial class GpuBackend
{
    private Action<Index1D, UpdateArgs>? _sgd, _adam, _rmsProp, _adagrad, _adadelta, _movingAverage;

    private UpdateArgs Update(Storage p, Storage grad, Storage? s1, Storage? s2, Storage? s3, float lr, float weightDecay) => new()
    {
        P = View(p), Grad = View(grad), S1 = ViewOrPlaceholder(s1), S2 = ViewOrPlaceholder(s2), S3 = ViewOrPlaceholder(s3),
        HasS1 = s1 is not null, HasS3 = s3 is not null, Lr = lr, WeightDecay = weightDecay,
    };

    public override void SgdUpdate(Storage p, Storage grad, Storage? momentumBuffer, float lr, float weightDecay,
        float momentum, float dampening, bool nesterov, bool firstMomentumStep)
    {
        var a = Update(p, grad, momentumBuffer, null, null, lr, weightDecay);
        a.F1 = momentum;
        a.F2 = dampening;
        a.Flag1 = nesterov;
        a.Flag2 = firstMomentumStep;
        Launch(ref _sgd, GpuKernels.SgdUpdate, p.Length, a);
    }

    public override void AdamUpdate(Storage p, Storage grad, Storage m, Storage v, Storage? vMax, float lr,
        float weightDecay, bool decoupled, float beta1, float beta2, float eps, int step)
    {
        var a = Update(p, grad, m, v, vMax, lr, weightDecay);
        a.Flag1 = decoupled;
        a.F1 = beta1;
        a.F2 = beta2;
        a.F3 = eps;
        a.F4 = 1 - MathF.Pow(beta1, step);
        a.F5 = 1 - MathF.Pow(beta2, step);
        Launch(ref _adam, GpuKernels.AdamUpdate, p.Length, a);
    }

    public override void RmsPropUpdate(Storage p, Storage grad, Storage squareAverage, Storage? momentumBuffer,
        Storage? gradAverage, float lr, float weightDecay, float alpha, float eps, float momentum)
    {
        var a = Update(p, grad, squareAverage, momentum > 0 ? momentumBuffer : null, gradAverage, lr, weightDecay);
        a.F1 = alpha;
        a.F2 = eps;
        a.F3 = momentum;
        Launch(ref _rmsProp, GpuKernels.RmsPropUpdate, p.Length, a);
    }

    public override void AdagradUpdate(Storage p, Storage grad, Storage sum, float lr, float weightDecay,
        float lrDecay, float eps, int step)
    {
        var a = Update(p, grad, sum, null, null, lr / (1 + (step - 1) * lrDecay), weightDecay);
        a.F2 = eps;
        Launch(ref _adagrad, GpuKernels.AdagradUpdate, p.Length, a);
    }

    public override void AdadeltaUpdate(Storage p, Storage grad, Storage squareAverage, Storage accumulatedDelta,
        float lr, float weightDecay, float rho, float eps)
    {
        var a = Update(p, grad, squareAverage, accumulatedDelta, null, lr, weightDecay);
        a.F1 = rho;
        a.F2 = eps;
        Launch(ref _adadelta, GpuKernels.AdadeltaUpdate, p.Length, a);
    }

    public override void MovingAverageUpdate(Storage average, Storage value, float decay)
    {
        var a = Update(average, value, null, null, null, 0f, 0f);
        a.F1 = decay;
        Launch(ref _movingAverage, GpuKernels.MovingAverageUpdate, average.Length, a);
    }
}
