namespace Dendrite.NN;

/// <summary>Fully connected layer: y = x·Wᵀ + b.</summary>
/// <remarks>Shapes: x [..., In] → y [..., Out]; W [Out, In]; b [Out].
/// Init: W ~ Kaiming-uniform with a = √5 and b ~ U(−1/√In, 1/√In), which is PyTorch's default: both bounds are 1/√In.</remarks>
public sealed class Linear : Module
{
    public int In { get; }
    public int Out { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        In = inFeatures > 0 ? inFeatures : throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear: inFeatures must be positive, got {inFeatures}.");
        Out = outFeatures > 0 ? outFeatures : throw new ArgumentOutOfRangeException(nameof(outFeatures), $"Linear: outFeatures must be positive, got {outFeatures}.");
        Weight = AddParameter("weight", new Shape(Out, In));
        Bias = bias ? AddParameter("bias", new Shape(Out)) : null;
        ResetParameters(generator);
    }

    public void ResetParameters(Generator? generator = null)
    {
        float bound = 1f / MathF.Sqrt(In);
        Init.Uniform(Weight, -bound, bound, generator);
        if (Bias is not null) Init.Uniform(Bias, -bound, bound, generator);
    }

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank == 0 || input.Shape[-1] != In)
            throw new ShapeMismatchException(
                $"Linear({In} → {Out}): expected input with last dimension {In}, got input {input.Shape}." +
                (input.Rank > 2 && input.Shape.Product(1, input.Rank) == In ? " Hint: Flatten() first." : ""));
        return F.Linear(input, Weight, Bias);
    }

    protected override string ExtraRepr() => $"in_features={In}, out_features={Out}, bias={(Bias is not null ? "True" : "False")}";
}
