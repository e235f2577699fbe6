using Dendrite.Examples.SequenceMotifs;

namespace Dendrite.Tests.Examples;

// The example's own check is >= 95% held-out accuracy for both models on 4,000 sequences; these run its core small.
public class SequenceMotifsExampleTests
{
    [Fact]
    public void Generated_sequences_are_labelled_by_whether_the_motif_occurs()
    {
        var data = MotifData.Generate(200, seed: 3);

        Assert.All(data, s => Assert.InRange(s.Sequence.Length, 20, 60));
        Assert.All(data, s => Assert.Equal(s.Label == 1, s.Sequence.Contains(MotifData.DefaultMotif, StringComparison.Ordinal)));
        Assert.Equal(100, data.Count(s => s.Label == 1));
        Assert.True(data.Select(s => s.Sequence.Length).Distinct().Count() > 10);
        Assert.Equal(data, MotifData.Generate(200, seed: 3));   // same seed, same data
        Assert.Throws<ArgumentException>(() => MotifData.Generate(10, seed: 1, motif: "TATANT"));
    }

    [Fact]
    public void A_batch_is_one_hot_padded_to_its_longest_sequence_with_a_mask()
    {
        var (batch, labels) = MotifTraining.Encode([new("ACGTA", 0), new("TTTATAAT", 1)]);

        Assert.Equal(new Shape(2, 8, 4), batch.Inputs.Shape);
        Assert.Equal([1f, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], batch.Mask.ToArray());
        Assert.Equal([0f, 1f], labels.ToArray());
    }

    [Theory]
    [InlineData("conv")]
    [InlineData("bilstm")]
    public void Both_models_learn_the_motif_from_a_small_set(string kind)
    {
        var train = MotifData.Generate(600, seed: 1, minLength: 12, maxLength: 24);
        var test = MotifData.Generate(200, seed: 2, minLength: 12, maxLength: 24);
        Torch.ManualSeed(1);
        ISequenceModel model = kind == "conv" ? new ConvModel(filters: 16) : new BiLstmModel(hidden: 16);

        double accuracy = MotifTraining.TrainAndEvaluate(model, train, test, epochs: 6, lr: 1e-2f);

        Assert.True(accuracy >= 0.85, $"{kind}: held-out accuracy {accuracy:P1} (chance: 50%)");
    }
}
