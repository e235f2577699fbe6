namespace Dendrite;

/// <summary>An op or layer received tensors whose shapes do not fit together; the message names the op and the shapes.</summary>
public sealed class ShapeMismatchException(string message) : ArgumentException(message);
