namespace Dendrite.NN;

/// <summary>
/// Gated recurrent unit layers, as <c>torch.nn.GRU</c> ("reset after"): see <see cref="F.GRU"/> for the equations and
/// <see cref="RNNBase"/> for the parameters. <c>Forward(x)</c> returns the output at every step;
/// <c>Forward(x, h0, mask)</c> also returns the final state.
/// </summary>
public sealed class GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    float dropout = 0f, bool bidirectional = false, Generator? generator = null)
    : RNNBase(3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator)
{
    /// <summary>Output and h_n from the initial state h0 ([L·D, N, H]; zeros when null) and an optional [N, T] mask.</summary>
    public RnnOutput Forward(Tensor input, Tensor? h0, Tensor? mask = null) => Run(input, h0, null, mask);

    private protected override RnnOutput Run(Tensor input, Tensor? h0, Tensor? c0, Tensor? mask) =>
        F.GRU(CheckInput(input), h0, FlatWeights, NumLayers, Bidirectional, BatchFirst, Dropout, Training, mask);
}
