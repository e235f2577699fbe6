using Dendrite.Backends;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Stochastic gradient descent, as <c>torch.optim.SGD</c>: g ← ∇ + λθ; with momentum μ, b ← g on the first step that
/// has momentum and b ← μb + (1 − τ)g after (τ = dampening); g ← g + μb (Nesterov) or b; θ ← θ − γg.
/// </summary>
public sealed class Sgd : Optimizer
{
    public float MomentumFactor { get; }
    public float Dampening { get; }
    public bool Nesterov { get; }

    public Sgd(IEnumerable<Parameter> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(parameters, lr, weightDecay)
    {
        CheckRange(nameof(Sgd), nameof(momentum), momentum);
        CheckRange(nameof(Sgd), nameof(dampening), dampening);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Sgd: Nesterov momentum requires a momentum and zero dampening.");
        MomentumFactor = (float)momentum;
        Dampening = (float)dampening;
        Nesterov = nesterov;
        foreach (var g in ParamGroups) g.Momentum = (float)momentum;
    }

    // state: [0] momentum buffer, created on the first step that has a nonzero momentum (PyTorch's
    // `momentum_buffer is None`), so a schedule such as OneCycleLR can switch momentum on for an Sgd built without it.
    protected override int BufferCount => 1;

    protected override Storage?[] NewState(Parameter parameter) => new Storage?[1];

    protected override void Update(ParamGroup group, Parameter p, Tensor grad, Storage?[] state, int step)
    {
        float mu = group.Momentum ?? MomentumFactor;
        bool first = mu != 0 && state[0] is null;
        if (first) state[0] = p.Backend.Allocate(p.Numel); // written whole by the first momentum step
        p.Backend.SgdUpdate(p.Storage, grad.Storage, mu == 0 ? null : state[0], group.Lr, group.WeightDecay, mu, Dampening, Nesterov, first);
    }
}
