namespace Dendrite.NN;

/// <summary>One Elman step, as <c>torch.nn.RNNCell</c>: h' = tanh (or relu) of W_ih·x + b_ih + W_hh·h + b_hh.</summary>
public sealed class RNNCell : RecurrentCellBase
{
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null)
        : base(1, inputSize, hiddenSize, bias, generator)
    {
        Nonlinearity = nonlinearity is "tanh" or "relu" ? nonlinearity
            : throw new ArgumentException($"RNNCell: nonlinearity must be \"tanh\" or \"relu\", got \"{nonlinearity}\".", nameof(nonlinearity));
    }

    public string Nonlinearity { get; }

    /// <summary>h' [N, H] from x [N, I] and the previous h (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? h) => Step(input, h, null).H;

    private protected override RnnOutput Run(Tensor x, Tensor? h0, Tensor? c0) => F.RNN(x, h0, Weights, nonlinearity: Nonlinearity);

    protected override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity == "relu" ? ", nonlinearity='relu'" : "");
}
