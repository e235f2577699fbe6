using Dendrite.NN;

namespace Dendrite.PluginSample;

/// <summary>y = α·tanh(x), elementwise, with a learned scale α (one parameter, "alpha").</summary>
/// <remarks>Shapes: any x → y of the same shape; alpha [1]. Init: α = <see cref="Init"/>.</remarks>
public sealed class ScaledTanh : Module
{
    public float Init { get; }
    public Parameter Alpha { get; }

    public ScaledTanh(float init = 1f)
    {
        Init = init;
        Alpha = AddParameter("alpha", new Shape(1));
        Alpha.Data[0] = init;
    }

    public override Tensor Forward(Tensor input) => F.Mul(F.Tanh(input), Alpha);

    public override string ToString() => $"ScaledTanh(init={Init})";
}
