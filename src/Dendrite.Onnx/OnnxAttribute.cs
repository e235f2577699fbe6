namespace Dendrite.Onnx;

/// <summary>A node attribute: a float, an int or long, a string, a float[], a long[] or a string[].</summary>
public readonly record struct OnnxAttribute(string Name, object Value);
