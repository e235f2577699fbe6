namespace Dendrite.Examples.UniversalApproximation;

/// <summary>How well one network fits the target: errors on a fine grid, and its predictions there.</summary>
public sealed record Fit(int Hidden, double Rmse, double MaxError, float[] Grid, float[] Predictions);
