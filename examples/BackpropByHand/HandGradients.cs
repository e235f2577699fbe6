using System.Numerics.Tensors;

namespace Dendrite.Examples.BackpropByHand;

/// <summary>∂J/∂θ for each of <see cref="HandMlp"/>'s four arrays, shaped like them.</summary>
public sealed class HandGradients(HandMlp net)
{
    /// <summary>∂J/∂Θ¹.</summary>
    public float[] W1 { get; } = new float[net.W1.Length];

    /// <summary>∂J/∂b¹.</summary>
    public float[] B1 { get; } = new float[net.B1.Length];

    /// <summary>∂J/∂Θ².</summary>
    public float[] W2 { get; } = new float[net.W2.Length];

    /// <summary>∂J/∂b².</summary>
    public float[] B2 { get; } = new float[net.B2.Length];

    /// <summary>The four arrays in the order Θ¹, b¹, Θ², b².</summary>
    public float[][] All => [W1, B1, W2, B2];

    internal void Clear()
    {
        foreach (var a in All) Array.Clear(a);
    }

    internal void Scale(float factor)
    {
        foreach (var a in All) TensorPrimitives.Multiply(a, factor, a);
    }
}
