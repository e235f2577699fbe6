using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// RMSprop, as <c>torch.optim.RMSprop</c>: g ← ∇ + λθ; v ← αv + (1 − α)g²; centred: ḡ ← αḡ + (1 − α)g and ṽ = v − ḡ²;
/// with momentum μ: b ← μb + g / (√ṽ + ε), θ ← θ − γb; else θ ← θ − γg / (√ṽ + ε).
/// </summary>
public sealed class RmsProp : Optimizer
{
    public float Alpha { get; }
    public float Eps { get; }
    public float MomentumFactor { get; }
    public bool Centered { get; }

    public RmsProp(IEnumerable<Parameter> parameters, float lr = 1e-2f, float alpha = 0.99f, float eps = 1e-8f,
        float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(parameters, lr, weightDecay)
    {
        if (alpha < 0) throw new ArgumentOutOfRangeException(nameof(alpha), $"RmsProp: invalid alpha {alpha}.");
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), $"RmsProp: invalid momentum {momentum}.");
        (Alpha, Eps, MomentumFactor, Centered) = (alpha, eps, momentum, centered);
        foreach (var g in ParamGroups) g.Momentum = momentum;
    }

    // state: [0] v (square average), [1] momentum buffer, [2] gradient average (centred)
    protected override float[][] NewState(int length) => [new float[length], new float[length], new float[length]];

    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> grad, float[][] state, int step, int offset)
    {
        float lr = group.Lr, wd = group.WeightDecay, mu = group.Momentum ?? MomentumFactor;
        float[] v = state[0], buf = state[1], gAvg = state[2];
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            v[i] = Alpha * v[i] + (1 - Alpha) * g * g;
            float avg = v[i];
            if (Centered)
            {
                gAvg[i] = Alpha * gAvg[i] + (1 - Alpha) * g;
                avg -= gAvg[i] * gAvg[i];
            }
            float denom = MathF.Sqrt(avg) + Eps;
            if (mu > 0)
            {
                buf[i] = mu * buf[i] + g / denom;
                p[i] -= lr * buf[i];
            }
            else
            {
                p[i] -= lr * g / denom;
            }
        }
    }
}
