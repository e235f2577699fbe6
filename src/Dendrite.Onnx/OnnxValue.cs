namespace Dendrite.Onnx;

/// <summary>
/// A value flowing through the graph under construction: its ONNX name and the tensor Dendrite computes at that point
/// for the sample input, so emitters know concrete shapes (dimension 0, the batch, stays symbolic in the graph).
/// </summary>
public sealed record OnnxValue(string Name, Tensor Sample)
{
    /// <summary>The sample's shape; dimension 0 is the batch.</summary>
    public Shape Shape => Sample.Shape;
}
