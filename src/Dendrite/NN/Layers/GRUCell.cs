namespace Dendrite.NN;

/// <summary>One GRU step, as <c>torch.nn.GRUCell</c> ("reset after"): h' from x and h; gates r, z, n.</summary>
public sealed class GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
    : RecurrentCellBase(3, inputSize, hiddenSize, bias, generator)
{
    /// <summary>h' [N, H] from x [N, I] and the previous h (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? h) => Step(input, h, null).H;

    private protected override RnnOutput Run(Tensor x, Tensor? h0, Tensor? c0) => F.GRU(x, h0, Weights);
}
