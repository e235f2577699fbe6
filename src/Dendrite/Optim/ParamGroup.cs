using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>Parameters that share a learning rate and weight decay, as an entry of PyTorch's <c>param_groups</c>.</summary>
public sealed class ParamGroup(IEnumerable<Parameter> parameters, float lr, float weightDecay = 0f)
{
    public IReadOnlyList<Parameter> Params { get; } = parameters.ToList();

    /// <summary>The learning rate now; schedulers change it.</summary>
    public float Lr { get; set; } = lr;

    /// <summary>The learning rate the group started with (PyTorch's <c>initial_lr</c>).</summary>
    public float InitialLr { get; } = lr;

    public float WeightDecay { get; set; } = weightDecay;

    /// <summary>
    /// The momentum-like coefficient a one-cycle schedule may cycle: SGD/RMSprop momentum, Adam's β₁. Null when the
    /// optimiser has none.
    /// </summary>
    public float? Momentum { get; set; }
}
