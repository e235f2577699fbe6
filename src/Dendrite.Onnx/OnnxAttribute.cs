namespace Dendrite.Onnx;

/// <summary>A node attribute: a float, an int or long, a string, a float[] or a long[].</summary>
public readonly record struct OnnxAttribute(string Name, object Value);
