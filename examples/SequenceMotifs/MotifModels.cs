using Dendrite.Data;
using Dendrite.NN;

namespace Dendrite.Examples.SequenceMotifs;

/// <summary>A model that reads a padded batch of one-hot DNA ([N, T, 4] with its [N, T] mask) and returns logits [N, 2].</summary>
public interface ISequenceModel
{
    Module Module { get; }
    Tensor Logits(SequenceBatch batch);
}

/// <summary>
/// A bidirectional LSTM reads the sequence both ways; the two final states go to a linear classifier. The mask makes
/// the padding invisible: each direction's state is the one at the sequence's own ends.
/// </summary>
public sealed class BiLstmModel(int hidden = 32) : ISequenceModel
{
    private readonly RecurrentClassifier _net = new(new LSTM(4, hidden, batchFirst: true, bidirectional: true), 2);

    public Module Module => _net;

    public Tensor Logits(SequenceBatch batch) => _net.Forward(batch.Inputs, batch.Mask);
}
