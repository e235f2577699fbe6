namespace Dendrite.NN;

/// <summary>
/// Long short-term memory layers, as <c>torch.nn.LSTM</c>: see <see cref="F.LSTM"/> for the equations and
/// <see cref="RNNBase"/> for the parameters. <c>Forward(x)</c> returns the output at every step;
/// <c>Forward(x, h0, c0, mask)</c> also returns the final states.
/// </summary>
public sealed class LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    float dropout = 0f, bool bidirectional = false, Generator? generator = null)
    : RNNBase(4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator)
{
    /// <summary>Output, h_n and c_n from initial states h0, c0 ([L·D, N, H]; zeros when null) and an optional [N, T] mask.</summary>
    public RnnOutput Forward(Tensor input, Tensor? h0, Tensor? c0 = null, Tensor? mask = null) => Run(input, h0, c0, mask);

    private protected override RnnOutput Run(Tensor input, Tensor? h0, Tensor? c0, Tensor? mask) =>
        F.LSTM(CheckInput(input), h0, c0, FlatWeights, NumLayers, Bidirectional, BatchFirst, Dropout, Training, mask);
}
