using Dendrite.Examples.Perceptrons;

namespace Dendrite.Tests.Examples;

public class PerceptronsExampleTests
{
    [Fact]
    public void Perceptron_learns_output_equals_first_input_in_three_passes()
    {
        var (p, mistakes) = PerceptronsExample.TrainPerceptron(PerceptronsExample.FirstInputTargets());

        // Pass 1: (1,0) is wrong → w = (1, 0), b = 1. Pass 2: (0,0) now fires → b = 0. Pass 3: no mistakes.
        Assert.Equal([1, 1, 0], mistakes);
        Assert.Equal([1f, 0f], p.Weights);
        Assert.Equal(0f, p.Bias);
        Assert.Equal([0, 0, 1, 1], PerceptronsExample.Outputs(p));
    }

    [Fact]
    public void Perceptron_never_gets_through_a_pass_of_xor_without_mistakes()
    {
        var (p, mistakes) = PerceptronsExample.TrainPerceptron(PerceptronsExample.XorTargets(), maxEpochs: 100);

        Assert.Equal(100, mistakes.Count);
        Assert.DoesNotContain(0, mistakes);
        Assert.NotEqual(PerceptronsExample.XorTargets(), PerceptronsExample.Outputs(p));
    }

    [Fact]
    public void No_single_threshold_unit_gets_more_than_three_xor_rows()
    {
        Assert.Equal(3, PerceptronsExample.BestSingleUnit(PerceptronsExample.XorTargets()));
        Assert.Equal(4, PerceptronsExample.BestSingleUnit(PerceptronsExample.FirstInputTargets()));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Hidden_layer_network_learns_xor(ulong seed) =>
        Assert.Equal(PerceptronsExample.XorTargets(), PerceptronsExample.TrainHiddenLayerXor(seed));

    [Fact]
    public void Hand_wired_threshold_network_is_xor() =>
        Assert.Equal([0, 1, 1, 0], PerceptronsExample.Inputs().Select(x => PerceptronsExample.HandWiredXor(x[0], x[1])));
}
