using System.Globalization;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.SequenceMotifs;

/// <summary>
/// The study as it runs on files: labelled sequences written as FASTA (wrapped lines, lower case, the label in the
/// header as "label=0/1"), read back through <see cref="SequenceFile"/> and <see cref="SequenceDataset"/>, and trained
/// through <c>Fit</c> with batches padded to their own longest sequence.
/// </summary>
public static class MotifFasta
{
    /// <summary>Writes <paramref name="data"/> as FASTA: ">seqN label=L", sequences in lower case, 20 bases a line.</summary>
    public static void Write(string path, IReadOnlyList<LabelledSequence> data)
    {
        using var writer = new StreamWriter(path);
        for (int i = 0; i < data.Count; i++)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $">seq{i} label={data[i].Label}"));
            string s = data[i].Sequence.ToLowerInvariant();
            for (int start = 0; start < s.Length; start += 20) writer.WriteLine(s[start..Math.Min(s.Length, start + 20)]);
        }
    }

    /// <summary>A FASTA file of labelled DNA as a dataset; classes "0" (no motif) and "1" (motif).</summary>
    public static SequenceDataset Read(string path) =>
        SequenceDataset.FromRecords(SequenceFile.ReadFasta(path, Alphabet.Dna), SequenceDataset.HeaderField("label"),
            Alphabet.Dna, classNames: ["0", "1"]);

    /// <summary>Trains through <c>Fit</c> (Adam, cross-entropy); returns the history, with "val_accuracy" per epoch.</summary>
    public static History TrainWithFit(ISequenceModel model, SequenceDataset train, SequenceDataset test, int epochs,
        float lr = 3e-3f, int batchSize = 32, ulong seed = 1, bool verbose = false)
    {
        var module = new MaskedInput(model);
        return module.Fit(train, new Adam(module.Parameters(), lr: lr), Losses.CrossEntropy, epochs: epochs,
            batchSize: batchSize, validation: test, seed: seed, verbose: verbose);
    }

    /// <summary>
    /// Lets <c>Fit</c> drive a model that wants the mask too: a <see cref="SequenceDataset"/>'s batches carry their
    /// per-batch mask, and Fit hands it to an <see cref="IMultiInputModule"/> with the padded inputs.
    /// </summary>
    private sealed class MaskedInput : Module, IMultiInputModule
    {
        private readonly ISequenceModel _model;

        public MaskedInput(ISequenceModel model)
        {
            _model = model;
            AddModule("model", model.Module);
        }

        /// <summary>Unmasked: every step of [N, T, 4] counts (Fit passes the mask through the other overload).</summary>
        public override Tensor Forward(Tensor input)
        {
            int n = input.Shape[0], t = input.Shape[1];
            return _model.Logits(new SequenceBatch(input, Tensor.Ones(n, t), [.. Enumerable.Repeat(t, n)]));
        }

        /// <summary>[N, T, 4] one-hot with its [N, T] mask → [N, 2] logits.</summary>
        public Tensor Forward(IReadOnlyList<Tensor> inputs, Tensor? mask)
        {
            if (mask is null) return Forward(inputs[0]);
            var m = mask.ToArray();
            int n = mask.Shape[0], t = mask.Shape[1];
            var lengths = new int[n];
            for (int i = 0; i < n; i++)
                for (int s = 0; s < t; s++)
                    if (m[i * t + s] != 0) lengths[i] = s + 1;
            return _model.Logits(new SequenceBatch(inputs[0], mask, lengths));
        }
    }
}
