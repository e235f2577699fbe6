using Dendrite.Examples.SequenceMotifs;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Examples;

// Issue 18's sequence acceptance, small: the study's data through FASTA files and Fit with per-batch padding and
// masks. The example itself checks >= 95% for both models on 4,000 sequences.
public class SequenceMotifsFastaTests
{
    [Theory]
    [InlineData("conv")]
    [InlineData("bilstm")]
    public void Sequences_round_trip_through_fasta_and_train_through_fit(string kind)
    {
        using var dir = new TempDirectory();
        var train = MotifData.Generate(600, seed: 1, minLength: 12, maxLength: 24);
        var test = MotifData.Generate(200, seed: 2, minLength: 12, maxLength: 24);
        MotifFasta.Write(dir.File("train.fa"), train);
        MotifFasta.Write(dir.File("test.fa"), test);
        var trainSet = MotifFasta.Read(dir.File("train.fa"));
        var testSet = MotifFasta.Read(dir.File("test.fa"));
        Assert.Equal(train.Select(s => s.Sequence), trainSet.Sequences);
        Assert.Equal(train.Select(s => s.Label), Enumerable.Range(0, trainSet.Count).Select(trainSet.LabelOf));
        Assert.Contains(File.ReadLines(dir.File("train.fa")), line => line.Length > 0 && char.IsLower(line[0]));

        // The mean over three initialisations: 200 held-out sequences make one run's accuracy swing by several points
        // with the order the kernels sum in (the BiLSTM over seeds 1-10: 0.82 to 0.95, either way around a 0.90 mean).
        var accuracies = new List<double>();
        for (ulong seed = 1; seed <= 3; seed++)
        {
            Torch.ManualSeed(seed);
            ISequenceModel model = kind == "conv" ? new ConvModel(filters: 16) : new BiLstmModel(hidden: 16);
            var history = MotifFasta.TrainWithFit(model, trainSet, testSet, epochs: 6, lr: 1e-2f);
            accuracies.Add(history["val_accuracy"][^1]);
        }

        double accuracy = accuracies.Average();
        Assert.True(accuracy >= 0.85,
            $"{kind}: mean held-out accuracy {accuracy:P1} over seeds 1-3 ({string.Join(", ", accuracies.Select(a => a.ToString("P1")))}; chance: 50%)");
    }
}
