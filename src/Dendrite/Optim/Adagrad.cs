using Dendrite.Backends;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Adagrad (Duchi et al., 2011), as <c>torch.optim.Adagrad</c>: γ̃ = γ / (1 + (t − 1)η) with η the lr decay;
/// g ← ∇ + λθ; s ← s + g²; θ ← θ − γ̃g / (√s + ε).
/// </summary>
public sealed class Adagrad : Optimizer
{
    public float LrDecay { get; }
    public float InitialAccumulatorValue { get; }
    public float Eps { get; }

    public Adagrad(IEnumerable<Parameter> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10)
        : base(parameters, lr, weightDecay)
    {
        CheckRange(nameof(Adagrad), "lr decay", lrDecay);
        CheckRange(nameof(Adagrad), nameof(eps), eps);
        if (!(initialAccumulatorValue >= 0 && initialAccumulatorValue <= float.MaxValue))
            throw new ArgumentOutOfRangeException(nameof(initialAccumulatorValue), $"Adagrad: invalid initial accumulator value {initialAccumulatorValue}.");
        (LrDecay, InitialAccumulatorValue, Eps) = ((float)lrDecay, (float)initialAccumulatorValue, (float)eps);
    }

    protected override int BufferCount => 1;

    protected override Storage?[] NewState(Parameter parameter) => [Zeros(parameter, InitialAccumulatorValue)];

    protected override void Update(ParamGroup group, Parameter p, Tensor grad, Storage?[] state, int step) =>
        p.Backend.AdagradUpdate(p.Storage, grad.Storage, state[0]!, group.Lr, group.WeightDecay, LrDecay, Eps, step);
}
