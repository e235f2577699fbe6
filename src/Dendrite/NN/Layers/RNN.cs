namespace Dendrite.NN;

/// <summary>
/// Elman recurrent layers, as <c>torch.nn.RNN</c>: h_t = tanh (or relu) of W_ih·x_t + b_ih + W_hh·h_(t−1) + b_hh; see
/// <see cref="RNNBase"/> for the parameters. <c>Forward(x)</c> returns the output at every step;
/// <c>Forward(x, h0, mask)</c> also returns the final state.
/// </summary>
public sealed class RNN : RNNBase
{
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true,
        bool batchFirst = false, float dropout = 0f, bool bidirectional = false, Generator? generator = null)
        : base(1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator)
    {
        Nonlinearity = nonlinearity is "tanh" or "relu" ? nonlinearity
            : throw new ArgumentException($"RNN: nonlinearity must be \"tanh\" or \"relu\", got \"{nonlinearity}\".", nameof(nonlinearity));
    }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>Output and h_n from the initial state h0 ([L·D, N, H]; zeros when null) and an optional [N, T] mask.</summary>
    public RnnOutput Forward(Tensor input, Tensor? h0, Tensor? mask = null) => Run(input, h0, null, mask);

    private protected override RnnOutput Run(Tensor input, Tensor? h0, Tensor? c0, Tensor? mask) =>
        F.RNN(CheckInput(input), h0, FlatWeights, NumLayers, Nonlinearity, Bidirectional, BatchFirst, Dropout, Training, mask);

    protected override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity == "relu" ? ", nonlinearity='relu'" : "");
}
