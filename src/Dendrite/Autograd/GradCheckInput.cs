namespace Dendrite.Autograd;

/// <summary>
/// How well one input's analytic gradient matched its finite-difference estimate in a <see cref="GradCheck"/>.
/// </summary>
/// <param name="Input">Position of the input in the array passed to <see cref="GradCheck.Run"/>.</param>
/// <param name="Shape">The input's shape.</param>
/// <param name="MaxAbsError">Largest |analytic − numeric| over the input's elements.</param>
/// <param name="MaxRelError">
/// Largest |analytic − numeric| / max(|numeric|, atol / rtol): the relative error, measured against atol / rtol
/// instead where the gradient is smaller than that, so noise around a zero gradient does not count.
/// The input passes when this is ≤ rtol.
/// </param>
/// <param name="WorstElement">Flat (row-major) index of the element with the largest relative error.</param>
/// <param name="Analytic">The analytic gradient at <paramref name="WorstElement"/>.</param>
/// <param name="Numeric">The central-difference gradient at <paramref name="WorstElement"/>.</param>
/// <param name="Passed">Whether every element was within tolerance (false if any gradient was NaN).</param>
public readonly record struct GradCheckInput(
    int Input,
    Shape Shape,
    double MaxAbsError,
    double MaxRelError,
    int WorstElement,
    double Analytic,
    double Numeric,
    bool Passed);
