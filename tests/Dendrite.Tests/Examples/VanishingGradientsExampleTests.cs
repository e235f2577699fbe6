using Dendrite.Examples.VanishingGradients;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Examples;

public class VanishingGradientsExampleTests
{
    [Fact]
    public void Both_networks_start_from_the_same_weights()
    {
        var sigmoid = VanishingGradientsExample.Network("sigmoid").StateDict();
        var relu = VanishingGradientsExample.Network("relu").StateDict();

        Assert.Equal(20, sigmoid.Count);
        foreach (var (name, tensor) in sigmoid) Assert.Equal(tensor.ToArray(), relu[name].ToArray());
    }

    [Fact]
    public void Sigmoid_first_layer_gradient_is_over_100_times_smaller()
    {
        var batch = MnistData.Train.GetBatch(Enumerable.Range(0, 32).ToArray());

        var sigmoid = VanishingGradientsExample.WeightGradientNorms(VanishingGradientsExample.Network("sigmoid"), batch);
        var relu = VanishingGradientsExample.WeightGradientNorms(VanishingGradientsExample.Network("relu"), batch);

        Assert.Equal(10, sigmoid.Length);
        Assert.True(relu[0] / sigmoid[0] >= 100, $"ReLU {relu[0]}, sigmoid {sigmoid[0]}");
        // The sigmoid norms grow layer by layer towards the output: the error shrinks on its way back.
        for (int i = 1; i < 10; i++) Assert.True(sigmoid[i] > sigmoid[i - 1], $"layer {i + 1}: {sigmoid[i]} vs {sigmoid[i - 1]}");
    }

    [Fact]
    public void Relu_network_learns_a_small_subset_while_sigmoid_does_not()
    {
        var train = MnistData.Train.Take(2000);
        var test = MnistData.Test.Take(1000);

        // Width 32 rather than 128 keeps the test quick in a debug build.
        double sigmoid = VanishingGradientsExample.TrainOneEpoch(VanishingGradientsExample.Network("sigmoid", width: 32), train, test);
        double relu = VanishingGradientsExample.TrainOneEpoch(VanishingGradientsExample.Network("relu", width: 32), train, test);

        Assert.True(sigmoid < 0.25, $"sigmoid accuracy {sigmoid}");
        Assert.True(relu > 0.2 && relu > sigmoid + 0.1, $"ReLU accuracy {relu}, sigmoid {sigmoid}");   // 0.267 vs 0.099 when written
    }

    [Fact]
    public void Unknown_activation_is_named() =>
        Assert.Contains("\"tanh\"", Assert.Throws<ArgumentException>(() => VanishingGradientsExample.Network("tanh")).Message);
}
