using Dendrite.Data;
using Dendrite.Examples.BackpropByHand;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Examples;

public class BackpropByHandExampleTests
{
    [Fact]
    public void Delta_rule_matches_a_hand_computed_case()
    {
        // 2 → 1 → 1 with Θ¹ = [0, 0], b¹ = 0, Θ² = [2], b² = −1; image x = (1, 0), label 0 (target y = 1 for the one unit).
        // a¹ = σ(0) = 0.5; z² = 2·0.5 − 1 = 0, a² = 0.5; J = −log 0.5 = 0.693147.
        // δ² = a² − y = −0.5: ∂J/∂Θ² = δ²a¹ = −0.25, ∂J/∂b² = −0.5.
        // δ¹ = Θ²δ² · a¹(1 − a¹) = 2·(−0.5)·0.25 = −0.25: ∂J/∂Θ¹ = δ¹x = (−0.25, 0), ∂J/∂b¹ = −0.25.
        var net = new HandMlp(2, 1, 1, new Generator(1));
        net.W1[0] = 0; net.W1[1] = 0; net.B1[0] = 0; net.W2[0] = 2; net.B2[0] = -1;
        var g = new HandGradients(net);

        float cost = net.Backprop([1f, 0f], [0f], [0], g);

        Assert.Equal(0.693147f, cost, 5);
        Assert.Equal([-0.25f, 0f], g.W1);
        Assert.Equal([-0.25f], g.B1);
        Assert.Equal([-0.25f], g.W2);
        Assert.Equal([-0.5f], g.B2);
    }

    [Fact]
    public void Hand_gradients_agree_with_autograd_within_1e_4()
    {
        var net = new HandMlp(784, 16, 10, new Generator(4));

        var (differences, handCost, autoCost) =
            BackpropByHandExample.CompareWithAutograd(net, MnistData.Train, Enumerable.Range(100, 8).ToArray());

        Assert.All(differences, d => Assert.True(d <= 1e-4, $"relative difference {d}"));
        Assert.Equal(autoCost, handCost, 4);
    }

    [Fact]
    public void GradCheck_passes_on_the_hand_written_backward()
    {
        var net = new HandMlp(784, 4, 10, new Generator(5));

        var result = BackpropByHandExample.CheckWithFiniteDifferences(net, MnistData.Train, [7, 8]);

        Assert.True(result.Passed, result.Report);
        Assert.Equal(4, result.Inputs.Count);
    }

    [Fact]
    public void Hand_written_training_learns_a_small_subset()
    {
        var train = MnistData.Train.Take(3000);
        var test = MnistData.Test.Take(1000);
        var net = new HandMlp(784, 32, 10, new Generator(1));
        double before = net.Accuracy(test.Inputs.ToArray(), test.Targets.ToArray(), test.Count);

        var results = BackpropByHandExample.Train(net, train, test, epochs: 2);

        Assert.True(before < 0.25, $"untrained accuracy {before}");
        Assert.True(results[^1].TestAccuracy >= 0.85, $"accuracy after 2 epochs on 3,000 images: {results[^1].TestAccuracy}");
        Assert.True(results[1].Cost < results[0].Cost);
    }
}
