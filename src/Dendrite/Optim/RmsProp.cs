using Dendrite.Backends;
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

    public RmsProp(IEnumerable<Parameter> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(parameters, lr, weightDecay)
    {
        CheckRange(nameof(RmsProp), nameof(alpha), alpha);
        CheckRange(nameof(RmsProp), nameof(momentum), momentum);
        CheckRange(nameof(RmsProp), nameof(eps), eps);
        (Alpha, Eps, MomentumFactor, Centered) = ((float)alpha, (float)eps, (float)momentum, centered);
        foreach (var g in ParamGroups) g.Momentum = MomentumFactor;
    }

    // state: [0] v (square average), [1] momentum buffer, [2] gradient average (centred)
    protected override int BufferCount => 3;

    protected override Storage?[] NewState(Parameter parameter) => [Zeros(parameter), Zeros(parameter), Zeros(parameter)];

    protected override void Update(ParamGroup group, Parameter p, Tensor grad, Storage?[] state, int step)
    {
        float mu = group.Momentum ?? MomentumFactor;
        p.Backend.RmsPropUpdate(p.Storage, grad.Storage, state[0]!, state[1], Centered ? state[2] : null, group.Lr, group.WeightDecay,
            Alpha, Eps, mu);
    }
}
