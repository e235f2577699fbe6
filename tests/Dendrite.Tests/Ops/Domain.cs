namespace Dendrite.Tests.Ops;

/// <summary>
/// Where an op-table case draws its input values: uniform in [Lo, Hi], optionally kept off kinks or free of near-ties.
/// </summary>
public sealed record Domain(float Lo = -2f, float Hi = 2f)
{
    /// <summary>Points where the op is not differentiable; values stay at least <see cref="Margin"/> away.</summary>
    public float[] Avoid { get; init; } = [];

    /// <summary>No two values of one input within <see cref="Margin"/>, so a max has no tie to flip.</summary>
    public bool Distinct { get; init; }

    public float Margin { get; init; } = 0.05f;

    public static Domain Positive { get; } = new(0.2f, 3f);

    public Tensor Sample(Generator g, int[] shape)
    {
        var values = new float[new Shape(shape).Numel];
        for (int i = 0; i < values.Length; i++)
        {
            float v;
            do v = Lo + (Hi - Lo) * g.NextFloat();
            while (Avoid.Any(k => MathF.Abs(v - k) < Margin)
                || Distinct && values[..i].Any(u => MathF.Abs(v - u) < Margin));
            values[i] = v;
        }
        // FromArray without dimensions makes a 1-D tensor; a 0-dimensional one comes from Scalar.
        return shape.Length == 0 ? Tensor.Scalar(values[0]) : Tensor.FromArray(values, shape);
    }
}
