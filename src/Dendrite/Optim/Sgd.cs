using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Stochastic gradient descent, as <c>torch.optim.SGD</c>: g ← ∇ + λθ; with momentum μ, b ← g on the first step and
/// b ← μb + (1 − τ)g after (τ = dampening); g ← g + μb (Nesterov) or b; θ ← θ − γg.
/// </summary>
public sealed class Sgd : Optimizer
{
    public float MomentumFactor { get; }
    public float Dampening { get; }
    public bool Nesterov { get; }

    public Sgd(IEnumerable<Parameter> parameters, float lr = 1e-3f, float momentum = 0f, float dampening = 0f,
        float weightDecay = 0f, bool nesterov = false)
        : base(parameters, lr, weightDecay)
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), $"Sgd: invalid momentum {momentum}.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Sgd: Nesterov momentum requires a momentum and zero dampening.");
        MomentumFactor = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        foreach (var g in ParamGroups) g.Momentum = momentum;
    }

    protected override float[][] NewState(int length) => MomentumFactor != 0 ? [new float[length]] : [];

    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> grad, float[][] state, int step)
    {
        float lr = group.Lr, wd = group.WeightDecay, mu = group.Momentum ?? MomentumFactor;
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            if (MomentumFactor != 0)
            {
                ref float b = ref state[0][i];
                b = step == 1 ? g : mu * b + (1 - Dampening) * g;
                g = Nesterov ? g + mu * b : b;
            }
            p[i] -= lr * g;
        }
    }
}
