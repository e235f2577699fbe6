namespace Dendrite.NN;

/// <summary>
/// Reads a sequence with a recurrent network and classifies it from the top layer's final hidden state (both
/// directions side by side when bidirectional): logits = fc(h_n[-1]). The usual sequence classifier of the course,
/// and PyTorch's idiom <c>out, (h, c) = lstm(x); fc(h[-1])</c>.
/// </summary>
/// <remarks>Shapes: input as the recurrent network takes it (batch_first [N, T, I] is the common choice) → logits [N, C].
/// Children: "rnn" (the network) and "fc" (Linear(D·H → C)), so state-dict keys read "rnn.weight_ih_l0", "fc.weight".</remarks>
public sealed class RecurrentClassifier : Module, IMultiInputModule
{
    public RecurrentClassifier(RNNBase rnn, int numClasses, Generator? generator = null)
    {
        Rnn = AddModule("rnn", rnn);
        Fc = AddModule("fc", new Linear(rnn.Directions * rnn.HiddenSize, numClasses, generator: generator));
    }

    public RNNBase Rnn { get; }
    public Linear Fc { get; }

    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>The padded sequences of a batch with their mask: what <c>Fit</c> passes for a <see cref="Data.SequenceDataset"/>.</summary>
    Tensor IMultiInputModule.Forward(IReadOnlyList<Tensor> inputs, Tensor? mask) => inputs.Count == 1
        ? Forward(inputs[0], mask)
        : throw new ArgumentException($"RecurrentClassifier: takes one input (and a mask), got {inputs.Count} inputs.");

    /// <summary>Logits for padded sequences: <paramref name="mask"/> [N, T] marks the real steps (see <see cref="F.LSTM"/>).</summary>
    public Tensor Forward(Tensor input, Tensor? mask)
    {
        var state = Rnn switch
        {
            LSTM lstm => lstm.Forward(input, null, null, mask),
            GRU gru => gru.Forward(input, null, mask),
            RNN rnn => rnn.Forward(input, null, mask),
            _ => throw new InvalidOperationException($"RecurrentClassifier: unsupported network {Rnn.GetType().Name}."),
        };
        return Fc.Call(state.LastLayerState(Rnn.Directions));
    }
}
