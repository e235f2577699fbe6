namespace Dendrite.Visualization;

/// <summary>
/// One test input a <see cref="TrainingReport"/> shows: its true and predicted class, the model's probability for the
/// prediction, and the input as a PNG picture (images) or as text (table rows, sequences).
/// </summary>
/// <param name="Index">Position of the sample in its dataset.</param>
/// <param name="Png">An encoded PNG file, for image inputs.</param>
/// <param name="Text">The input written out, for other inputs.</param>
public sealed record ReportExample(int Index, string TrueLabel, string PredictedLabel, double Probability,
    byte[]? Png = null, string? Text = null);
