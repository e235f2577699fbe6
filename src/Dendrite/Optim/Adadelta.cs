using Dendrite.Backends;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Adadelta (Zeiler, 2012), as <c>torch.optim.Adadelta</c>: g ← ∇ + λθ; v ← ρv + (1 − ρ)g²;
/// Δ = √(u + ε) / √(v + ε) · g; u ← ρu + (1 − ρ)Δ²; θ ← θ − γΔ.
/// </summary>
public sealed class Adadelta : Optimizer
{
    public float Rho { get; }
    public float Eps { get; }

    public Adadelta(IEnumerable<Parameter> parameters, double lr = 1, double rho = 0.9, double eps = 1e-6, double weightDecay = 0)
        : base(parameters, lr, weightDecay)
    {
        CheckRange(nameof(Adadelta), nameof(rho), rho, max: 1f);
        CheckRange(nameof(Adadelta), nameof(eps), eps);
        (Rho, Eps) = ((float)rho, (float)eps);
    }

    // state: [0] v (square average of gradients), [1] u (square average of updates)
    protected override int BufferCount => 2;

    protected override Storage?[] NewState(Parameter parameter) => [Zeros(parameter), Zeros(parameter)];

    protected override void Update(ParamGroup group, Parameter p, Tensor grad, Storage?[] state, int step) =>
        p.Backend.AdadeltaUpdate(p.Storage, grad.Storage, state[0]!, state[1]!, group.Lr, group.WeightDecay, Rho, Eps);
}
