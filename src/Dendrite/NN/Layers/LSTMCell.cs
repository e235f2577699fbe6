namespace Dendrite.NN;

/// <summary>One LSTM step, as <c>torch.nn.LSTMCell</c>: (h', c') from x and (h, c); gates i, f, g, o.</summary>
public sealed class LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
    : RecurrentCellBase(4, inputSize, hiddenSize, bias, generator)
{
    /// <summary>h' and c' [N, H] from x [N, I] and the previous h, c (zeros when null).</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, Tensor? h, Tensor? c)
    {
        var r = Step(input, h, c);
        return (r.H, r.C!);
    }

    private protected override RnnOutput Run(Tensor x, Tensor? h0, Tensor? c0) => F.LSTM(x, h0, c0, Weights);
}
