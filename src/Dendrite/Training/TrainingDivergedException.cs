namespace Dendrite.Training;

/// <summary>The loss became NaN or infinite; the message names the epoch and step.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);
