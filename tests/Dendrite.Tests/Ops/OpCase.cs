namespace Dendrite.Tests.Ops;

/// <summary>
/// One row of the op table: the function, its input shapes, the expected output shape and where the inputs live.
/// </summary>
public sealed record OpCase(string Name, Func<Tensor[], Tensor> Fn, int[][] Shapes, int[] Output)
{
    public Domain Domain { get; init; } = new();

    /// <summary>One domain per input, when they differ (logits and probabilities).</summary>
    public Domain[]? Domains { get; init; }

    /// <summary>Inputs built by hand, for constraints between them (input − target kept off a loss's kinks).</summary>
    public Func<Generator, Tensor[]>? Make { get; init; }

    /// <summary>The finite-difference step: the table's 1e-3 unless a row explains why it needs another.</summary>
    public float Eps { get; init; } = 1e-3f;

    public override string ToString() => Name;
}
