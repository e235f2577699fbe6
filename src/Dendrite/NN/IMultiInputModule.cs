namespace Dendrite.NN;

/// <summary>
/// A model whose forward pass takes more than one tensor: several inputs (PyTorch's <c>forward(x1, x2)</c>) or padded
/// sequences with their mask. <c>Fit</c>, <c>Evaluate</c> and a train step's default forward hand it every input of
/// a batch and the batch's mask; a model without this interface gets the first input only.
/// </summary>
public interface IMultiInputModule
{
    /// <param name="inputs">The batch's inputs, in the dataset's order.</param>
    /// <param name="mask">[N, T]: 1 for a real step, 0 for padding; null when the batch has none.</param>
    Tensor Forward(IReadOnlyList<Tensor> inputs, Tensor? mask);
}
