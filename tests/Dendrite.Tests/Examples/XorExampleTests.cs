using Dendrite.Examples.Xor;

namespace Dendrite.Tests.Examples;

public class XorExampleTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(42UL)]
    public void Two_layer_perceptron_learns_the_truth_table(ulong seed)
    {
        float[] outputs = XorExample.Train(seed);

        float[] targets = XorExample.Targets().ToArray();
        Assert.Equal(4, outputs.Length);
        for (int i = 0; i < 4; i++)
            Assert.True((outputs[i] >= 0.5f) == (targets[i] >= 0.5f),
                $"seed {seed}: output {outputs[i]} for row {i} is on the wrong side of 0.5 (target {targets[i]}).");
    }

    [Fact]
    public void Training_repeats_exactly_with_the_same_seed() =>
        Assert.Equal(XorExample.Train(7), XorExample.Train(7));

    [Fact]
    public void Single_layer_perceptron_cannot_get_all_four() =>
        Assert.True(XorExample.CorrectCount(XorExample.TrainSingleLayer(1)) < 4);
}
