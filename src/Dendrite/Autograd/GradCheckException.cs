namespace Dendrite.Autograd;

/// <summary>
/// Thrown by <see cref="GradCheck.Assert"/> when analytic and numeric gradients disagree; the message is the report.
/// </summary>
public sealed class GradCheckException : Exception
{
    public GradCheckException(GradCheckResult result) : base(result.Report) => Result = result;

    public GradCheckResult Result { get; }
}
