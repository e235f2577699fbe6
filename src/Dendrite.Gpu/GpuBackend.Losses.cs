using Dendrite.Backends;
using Dendrite.Gpu.Kernels;
using ILGPU;

namespace Dendrite.Gpu;

public sealed partial class GpuBackend
{
    private Action<Index1D, ClassArgs>? _ceForward, _ceBackward, _nllForward, _nllBackward;
    private Action<Index1D, BceArgs>? _bce, _bceBackward, _bceLogits, _bceLogitsBackward;

    private ClassArgs Classes(Storage target, int classes, int inner, int ignoreIndex) => new()
    {
        Logp = _placeholder.View, Q = _placeholder.View, Target = View(target), PerSample = _placeholder.View,
        Dy = _placeholder.View, DInput = _placeholder.View, ClassWeights = _placeholder.View, Classes = classes,
        Inner = inner, IgnoreIndex = ignoreIndex,
    };

    private ClassArgs Classes(Storage target, int classes, int inner, int ignoreIndex, Storage? classWeights)
    {
        var a = Classes(target, classes, inner, ignoreIndex);
        a.ClassWeights = ViewOrPlaceholder(classWeights);
        a.HasClassWeights = classWeights is not null;
        return a;
    }

    public override void CrossEntropyForward(Storage logits, Storage target, bool targetIsProbabilities, int outer,
        int classes, int inner, float labelSmoothing, int ignoreIndex, Storage? classWeights, Storage logp, Storage q,
        Storage perSample)
    {
        Softmax(logits, outer, classes, inner, logp, log: true);
        var a = Classes(target, classes, inner, ignoreIndex, classWeights);
        a.Logp = View(logp);
        a.Q = View(q);
        a.PerSample = View(perSample);
        a.TargetIsProbabilities = targetIsProbabilities;
        a.LabelSmoothing = labelSmoothing;
        Launch(ref _ceForward, GpuKernels.CrossEntropyForward, outer * inner, a);
    }

    public override void CrossEntropyBackward(Storage logp, Storage q, Storage target, bool targetIsProbabilities,
        int outer, int classes, int inner, int ignoreIndex, Storage dy, bool perSampleGradient, float scale, Storage dLogits)
    {
        var a = Classes(target, classes, inner, ignoreIndex);
        a.Logp = View(logp);
        a.Q = View(q);
        a.Dy = View(dy);
        a.DInput = View(dLogits);
        a.TargetIsProbabilities = targetIsProbabilities;
        a.PerSampleGradient = perSampleGradient;
        a.Scale = scale;
        Launch(ref _ceBackward, GpuKernels.CrossEntropyBackward, outer * inner, a);
    }

    public override void NllForward(Storage input, Storage target, int outer, int classes, int inner, int ignoreIndex,
        Storage? classWeights, Storage perSample)
    {
        var a = Classes(target, classes, inner, ignoreIndex, classWeights);
        a.Logp = View(input);
        a.PerSample = View(perSample);
        Launch(ref _nllForward, GpuKernels.NllForward, outer * inner, a);
    }

    public override void NllBackward(Storage target, int outer, int classes, int inner, int ignoreIndex,
        Storage? classWeights, Storage dy, bool perSampleGradient, float scale, Storage dInput)
    {
        var a = Classes(target, classes, inner, ignoreIndex, classWeights);
        a.Dy = View(dy);
        a.DInput = View(dInput);
        a.PerSampleGradient = perSampleGradient;
        a.Scale = scale;
        Launch(ref _nllBackward, GpuKernels.NllBackward, outer * classes * inner, a);
    }

    private BceArgs Bce(Storage p, Storage t, Storage? dy, Storage y, Storage? dt) => new()
    {
        P = View(p), T = View(t), Dy = ViewOrPlaceholder(dy), Y = View(y), Dt = ViewOrPlaceholder(dt), HasDt = dt is not null,
    };

    public override void BinaryCrossEntropy(Storage p, Storage t, Storage y) =>
        Launch(ref _bce, GpuKernels.BinaryCrossEntropy, y.Length, Bce(p, t, null, y, null));

    public override void BinaryCrossEntropyBackward(Storage p, Storage t, Storage dy, Storage dp, Storage? dt) =>
        Launch(ref _bceBackward, GpuKernels.BinaryCrossEntropyBackward, p.Length, Bce(p, t, dy, dp, dt));

    public override void BinaryCrossEntropyWithLogits(Storage x, Storage t, Storage y) =>
        Launch(ref _bceLogits, GpuKernels.BinaryCrossEntropyWithLogits, y.Length, Bce(x, t, null, y, null));

    public override void BinaryCrossEntropyWithLogitsBackward(Storage x, Storage t, Storage dy, Storage dx, Storage? dt) =>
        Launch(ref _bceLogitsBackward, GpuKernels.BinaryCrossEntropyWithLogitsBackward, x.Length, Bce(x, t, dy, dx, dt));
}
