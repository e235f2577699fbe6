using System.Numerics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba, 2015), as <c>torch.optim.Adam</c>: g ← ∇ + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// θ ← θ − γ·m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ) (v̂ from max of v seen so far with AMSGrad).
/// <see cref="AdamW"/> decouples the weight decay instead.
/// </summary>
public class Adam : Optimizer
{
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    public bool Amsgrad { get; }
    private readonly bool _decoupled;

    public Adam(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0f, bool amsgrad = false)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false) { }

    private protected Adam(IEnumerable<Parameter> parameters, float lr, float beta1, float beta2, float eps,
        float weightDecay, bool amsgrad, bool decoupled)
        : base(parameters, lr, weightDecay)
    {
        if (beta1 < 0 || beta1 >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"{GetType().Name}: invalid beta1 {beta1}.");
        if (beta2 < 0 || beta2 >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), $"{GetType().Name}: invalid beta2 {beta2}.");
        if (eps < 0) throw new ArgumentOutOfRangeException(nameof(eps), $"{GetType().Name}: invalid eps {eps}.");
        (Beta1, Beta2, Eps, Amsgrad, _decoupled) = (beta1, beta2, eps, amsgrad, decoupled);
        foreach (var g in ParamGroups) g.Momentum = beta1;
    }

    // 64K elements (256 KB of each buffer) per slice: large enough that a slice outweighs the fork-join.
    protected override int ParallelChunk => 1 << 16;

    protected override float[][] NewState(int length) => Amsgrad ? [new float[length], new float[length], new float[length]] : [new float[length], new float[length]];

    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> grad, float[][] state, int step, int offset)
    {
        float lr = group.Lr, wd = group.WeightDecay, b1 = group.Momentum ?? Beta1, b2 = Beta2;
        if (_decoupled && wd != 0)
        {
            float shrink = 1 - lr * wd;
            for (int i = 0; i < p.Length; i++) p[i] *= shrink;
        }
        float l2 = _decoupled ? 0f : wd;
        float biasCorrection1 = 1 - MathF.Pow(b1, step);
        float biasCorrection2Sqrt = MathF.Sqrt(1 - MathF.Pow(b2, step));
        float stepSize = lr / biasCorrection1;
        var m = state[0].AsSpan(offset, p.Length);
        var v = state[1].AsSpan(offset, p.Length);
        var vMax = Amsgrad ? state[2].AsSpan(offset, p.Length) : default;
        int i0 = 0;
        if (!Amsgrad && Vector.IsHardwareAccelerated)
        {
            // Same arithmetic as the scalar loop below, lane by lane.
            int w = Vector<float>.Count;
            var vb1 = new Vector<float>(b1);
            var vb1c = new Vector<float>(1 - b1);
            var vb2 = new Vector<float>(b2);
            var vb2c = new Vector<float>(1 - b2);
            var vl2 = new Vector<float>(l2);
            var vbc2 = new Vector<float>(biasCorrection2Sqrt);
            var veps = new Vector<float>(Eps);
            var vstep = new Vector<float>(stepSize);
            for (; i0 + w <= p.Length; i0 += w)
            {
                var pv = new Vector<float>(p[i0..]);
                var g = new Vector<float>(grad[i0..]) + vl2 * pv;
                var mv = vb1 * new Vector<float>(m[i0..]) + vb1c * g;
                var vv = vb2 * new Vector<float>(v[i0..]) + vb2c * g * g;
                mv.CopyTo(m[i0..]);
                vv.CopyTo(v[i0..]);
                (pv - vstep * mv / (Vector.SquareRoot(vv) / vbc2 + veps)).CopyTo(p[i0..]);
            }
        }
        for (int i = i0; i < p.Length; i++)
        {
            float g = grad[i] + l2 * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            float vHat = v[i];
            if (Amsgrad) vHat = vMax[i] = MathF.Max(vMax[i], v[i]);
            p[i] -= stepSize * m[i] / (MathF.Sqrt(vHat) / biasCorrection2Sqrt + Eps);
        }
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, 2019), as <c>torch.optim.AdamW</c>: θ ← θ(1 − γλ) first, then Adam's step without
/// weight decay in the gradient. PyTorch's default weight decay here is 0.01.
/// </summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
    float eps = 1e-8f, float weightDecay = 1e-2f, bool amsgrad = false)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true);
