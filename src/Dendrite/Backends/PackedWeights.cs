namespace Dendrite.Backends;

/// <summary>
/// A layer's weights rearranged once by a backend for its fast forward kernel (oneDNN's and PyTorch's prepacking):
/// made by <see cref="Backend.PackConvWeights"/>, owned by the caller (a layer in evaluation mode), and handed back
/// with each forward call. It holds the weights' values at packing time: the caller makes a new one when they change.
/// </summary>
public abstract class PackedWeights
{
}
