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

    public Adadelta(IEnumerable<Parameter> parameters, float lr = 1f, float rho = 0.9f, float eps = 1e-6f, float weightDecay = 0f)
        : base(parameters, lr, weightDecay)
    {
        if (rho < 0 || rho > 1) throw new ArgumentOutOfRangeException(nameof(rho), $"Adadelta: invalid rho {rho}.");
        (Rho, Eps) = (rho, eps);
    }

    // state: [0] v (square average of gradients), [1] u (square average of updates)
    protected override float[][] NewState(int length) => [new float[length], new float[length]];

    protected override void Update(ParamGroup group, Span<float> p, ReadOnlySpan<float> grad, float[][] state, int step, int offset)
    {
        float lr = group.Lr, wd = group.WeightDecay;
        float[] v = state[0], u = state[1];
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + wd * p[i];
            v[i] = Rho * v[i] + (1 - Rho) * g * g;
            float delta = MathF.Sqrt(u[i] + Eps) / MathF.Sqrt(v[i] + Eps) * g;
            u[i] = Rho * u[i] + (1 - Rho) * delta * delta;
            p[i] -= lr * delta;
        }
    }
}
