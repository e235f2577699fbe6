namespace Dendrite.Autograd;

/// <summary>
/// The outcome of <see cref="GradCheck.Run"/>: one entry per input that requires grad, and a readable report.
/// </summary>
public sealed class GradCheckResult
{
    internal GradCheckResult(IReadOnlyList<GradCheckInput> inputs, string report)
    {
        Inputs = inputs;
        Report = report;
    }

    /// <summary>True when every checked input passed.</summary>
    public bool Passed => Inputs.All(i => i.Passed);

    /// <summary>The checked inputs (those with <see cref="Tensor.RequiresGrad"/>), in argument order.</summary>
    public IReadOnlyList<GradCheckInput> Inputs { get; }

    /// <summary>A headline with the settings, then one line per checked input: its errors and worst element.</summary>
    public string Report { get; }

    public override string ToString() => Report;
}
