namespace Dendrite.NN;

/// <summary>A tensor that a module learns: a leaf that requires grad, listed by <see cref="Module.Parameters"/>.</summary>
public sealed class Parameter : Tensor
{
    public Parameter(Shape shape) : base(new float[shape.Numel], 0, shape) => RequiresGrad = true;

    /// <summary>A parameter holding a copy of <paramref name="values"/>, on their device.</summary>
    public Parameter(Tensor values) : base(TensorScope.Outside(values.Clone).Storage, values.Shape, values.Device) => RequiresGrad = true;
}
