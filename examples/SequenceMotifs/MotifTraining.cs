using System.Globalization;
using Dendrite.Data;
using Dendrite.Optim;

namespace Dendrite.Examples.SequenceMotifs;

/// <summary>Training and held-out evaluation on labelled sequences, padded per mini-batch.</summary>
public static class MotifTraining
{
    /// <summary>Trains with Adam and cross-entropy; returns the held-out accuracy after the last epoch.</summary>
    public static double TrainAndEvaluate(ISequenceModel model, IReadOnlyList<LabelledSequence> train,
        IReadOnlyList<LabelledSequence> test, int epochs, float lr = 3e-3f, int batchSize = 32, ulong seed = 1,
        TextWriter? log = null)
    {
        var optimizer = new Adam(model.Module.Parameters(), lr: lr);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var g = new Generator(seed);
        double accuracy = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            model.Module.Train();
            g.Shuffle(order.AsSpan());
            double lossSum = 0;
            for (int start = 0; start < order.Length; start += batchSize)
            {
                using var scope = Tensor.Scope();  // each step's tensors recycle their storage at the next
                var items = order.Skip(start).Take(batchSize).Select(i => train[i]).ToList();
                var (batch, labels) = Encode(items);
                var loss = F.CrossEntropy(model.Logits(batch), labels);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                lossSum += loss.Item() * items.Count;
            }
            accuracy = Accuracy(model, test);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {epoch}/{epochs}: train loss {lossSum / train.Count:0.0000}, held-out accuracy {accuracy * 100:0.00}%"));
        }
        return accuracy;
    }

    /// <summary>Fraction of <paramref name="data"/> whose larger logit is the label, in eval mode without the tape.</summary>
    public static double Accuracy(ISequenceModel model, IReadOnlyList<LabelledSequence> data, int batchSize = 256)
    {
        model.Module.Eval();
        int correct = 0;
        using (Tensor.NoGrad())
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                using var scope = Tensor.Scope();
                var items = data.Skip(start).Take(batchSize).ToList();
                var (batch, labels) = Encode(items);
                var predicted = model.Logits(batch).ArgMax(dim: 1);
                for (int i = 0; i < items.Count; i++)
                    if (predicted[i] == labels[i]) correct++;
            }
        }
        model.Module.Train();
        return (double)correct / data.Count;
    }

    /// <summary>One-hot [N, T, 4] padded to the batch's longest sequence, its mask, and the labels [N].</summary>
    public static (SequenceBatch Batch, Tensor Labels) Encode(IReadOnlyList<LabelledSequence> items)
    {
        var batch = Alphabet.Dna.Batch(items.Select(s => s.Sequence).ToList());
        var labels = Tensor.FromArray(items.Select(s => (float)s.Label).ToArray());
        return (batch, labels);
    }
}
