using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>Parameters that share a learning rate and weight decay, as an entry of PyTorch's <c>param_groups</c>.</summary>
/// <remarks>Hyperparameters are taken as double, so literals such as 0.001 need no f suffix, and kept as float: the
/// update arithmetic is float32, as PyTorch's on float32 parameters.</remarks>
public sealed class ParamGroup(IEnumerable<Parameter> parameters, double lr, double weightDecay = 0)
{
    public IReadOnlyList<Parameter> Params { get; } = parameters.ToList();

    /// <summary>The learning rate now; schedulers change it.</summary>
    public float Lr { get; set; } = (float)lr;

    /// <summary>The learning rate the group started with (PyTorch's <c>initial_lr</c>).</summary>
    public float InitialLr { get; } = (float)lr;

    public float WeightDecay { get; set; } = (float)weightDecay;

    /// <summary>
    /// The momentum-like coefficient a one-cycle schedule may cycle: SGD/RMSprop momentum, Adam's β₁. Null when the
    /// optimiser has none.
    /// </summary>
    public float? Momentum { get; set; }
}
