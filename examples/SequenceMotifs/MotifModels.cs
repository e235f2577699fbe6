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

/// <summary>
/// One-hot + Conv1d: 32 filters of 9 bases slide along the sequence (a learned position weight matrix each), ReLU,
/// then the maximum over all positions says how well each filter matched anywhere; a linear layer decides. Padding
/// is zeros, which no filter mistakes for a motif.
/// </summary>
public sealed class ConvModel : Module, ISequenceModel
{
    private readonly Conv1d _conv;
    private readonly Linear _fc;

    public ConvModel(int filters = 32, int width = 9)
    {
        _conv = AddModule("conv", new Conv1d(4, filters, width));
        _fc = AddModule("fc", new Linear(filters, 2));
    }

    public Module Module => this;

    public Tensor Logits(SequenceBatch batch) => Forward(batch.Inputs);

    /// <summary>[N, T, 4] one-hot → [N, 2] logits.</summary>
    public override Tensor Forward(Tensor input)
    {
        var channels = F.Permute(input, 0, 2, 1);              // Conv1d reads [N, C = 4, T]
        var matches = F.ReLU(_conv.Forward(channels));         // [N, filters, T − width + 1]
        return _fc.Forward(F.Max(matches, dim: 2));            // best match of each filter anywhere
    }
}
