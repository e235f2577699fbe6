using Dendrite.Examples.NextCharacter;

namespace Dendrite.Tests.Examples;

// The example's own check: on corpus.txt the GRU's held-out loss is >= 30% below the unigram model's. These run its
// core on a tiny text.
public class NextCharacterExampleTests
{
    private const string Rhyme = "the cat sat on the mat. the dog sat on the log. ";

    [Fact]
    public void The_unigram_baseline_is_the_smoothed_frequency_cross_entropy()
    {
        // Training "aab" over {a, b}, add-one: p(a) = (2 + 1) / (3 + 2) = 0.6, p(b) = 0.4.
        // Predicting "ba" (every character of "aba" after the first): −(ln 0.4 + ln 0.6) / 2 = 0.713558.
        Assert.Equal(0.713558, LanguageModel.UnigramLoss([0, 0, 1], [0, 1, 0], 2), 6);
    }

    [Fact]
    public void Held_out_blocks_are_every_nth_block()
    {
        var (train, validation) = LanguageModel.Split([.. Enumerable.Range(0, 10)], blockLength: 2, every: 3);
        Assert.Equal([0, 1, 2, 3, 6, 7, 8, 9], train);
        Assert.Equal([4, 5], validation);
    }

    [Fact]
    public void A_small_GRU_learns_a_rhyme_and_writes_and_completes_it()
    {
        string text = string.Concat(Enumerable.Repeat(Rhyme, 30));
        var vocabulary = LanguageModel.VocabularyOf(text);
        var all = vocabulary.Encode(text);
        var (train, validation) = LanguageModel.Split(all, blockLength: 200, every: 5);
        Torch.ManualSeed(2);
        var model = new CharModel(vocabulary, hidden: 48, embedding: 8);

        LanguageModel.Train(model, train, steps: 150, window: 32, batchSize: 16, lr: 1e-2f);

        double loss = LanguageModel.Loss(model, validation);
        double unigram = LanguageModel.UnigramLoss(train, validation, vocabulary.Size);
        Assert.True(loss < 0.5 * unigram, $"validation loss {loss:0.000} vs unigram {unigram:0.000} nats/char");

        var sample = LanguageModel.Sample(model, "the ", 40, 0.5f, new Generator(3));
        Assert.Equal(44, sample.Length);
        Assert.StartsWith("the ", sample);
        Assert.All(sample, c => Assert.Contains(c, vocabulary.Symbols));
        Assert.Equal("at", LanguageModel.CompleteWord(model, "the dog sat on the mat. the c"));
        Assert.Throws<ArgumentOutOfRangeException>(() => LanguageModel.Sample(model, "the", 1, 0f, new Generator(1)));
    }
}
