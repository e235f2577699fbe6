using Dendrite.Backends;
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

    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false) { }

    private protected Adam(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps,
        double weightDecay, bool amsgrad, bool decoupled)
        : base(parameters, lr, weightDecay)
    {
        CheckRange(GetType().Name, nameof(beta1), beta1, max: 1f, maxExcluded: true);
        CheckRange(GetType().Name, nameof(beta2), beta2, max: 1f, maxExcluded: true);
        CheckRange(GetType().Name, nameof(eps), eps);
        (Beta1, Beta2, Eps, Amsgrad, _decoupled) = ((float)beta1, (float)beta2, (float)eps, amsgrad, decoupled);
        foreach (var g in ParamGroups) g.Momentum = Beta1;
    }

    protected override int BufferCount => Amsgrad ? 3 : 2;

    protected override Storage?[] NewState(Parameter parameter) =>
        Amsgrad ? [Zeros(parameter), Zeros(parameter), Zeros(parameter)] : [Zeros(parameter), Zeros(parameter)];

    protected override void Update(ParamGroup group, Parameter p, Tensor grad, Storage?[] state, int step) =>
        p.Backend.AdamUpdate(p.Storage, grad.Storage, state[0]!, state[1]!, Amsgrad ? state[2] : null, group.Lr, group.WeightDecay,
            _decoupled, group.Momentum ?? Beta1, Beta2, Eps, step);
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, 2019), as <c>torch.optim.AdamW</c>: θ ← θ(1 − γλ) first, then Adam's step without
/// weight decay in the gradient. PyTorch's default weight decay here is 0.01.
/// </summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true);
