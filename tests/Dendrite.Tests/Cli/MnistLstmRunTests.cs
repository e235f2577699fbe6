using Dendrite.Cli;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Cli;

/// <summary>The W3 preset behind <c>dendrite train mnist-lstm</c>, trained on a small MNIST subset.</summary>
/// <remarks>Alone: its initial weights come from the process-wide generator, which parallel tests draw from.</remarks>
[Collection(ProcessStateCollection.Name)]
public class MnistLstmRunTests
{
    [Fact]
    public void The_preset_is_the_W3_network_with_PyTorch_parameter_names()
    {
        var model = Presets.MnistLstm();
        var shapes = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);

        Assert.Equal(new Shape(512, 28), shapes["1.rnn.weight_ih_l0"]);
        Assert.Equal(new Shape(512, 128), shapes["1.rnn.weight_hh_l0"]);
        Assert.Equal(new Shape(512), shapes["1.rnn.bias_ih_l0"]);
        Assert.Equal(new Shape(512), shapes["1.rnn.bias_hh_l0"]);
        Assert.Equal(new Shape(10, 128), shapes["1.fc.weight"]);
        Assert.Equal(new Shape(10), shapes["1.fc.bias"]);
        Assert.Equal(6, shapes.Count);
        Assert.Equal(new Shape(3, 10), model.Forward(Tensor.Zeros(3, 1, 28, 28)).Shape);

        var recipe = Presets.All["mnist-lstm"];   // W3: Adam, lr 1e-3, batch 128, 3 epochs
        Assert.Equal((3, 128, 1e-3f, false, 0f), (recipe.Epochs, recipe.BatchSize, recipe.Lr, recipe.OneCycle, recipe.WeightDecay));
    }

    [Fact]
    public void Trains_on_a_small_subset_to_a_real_accuracy()
    {
        // The network of `dendrite train mnist-lstm` (Presets.Create, Adam, Fit) on 2,000 training and 500 test images,
        // so the suite stays fast: 200 steps at lr 3e-3 instead of the protocol's 1e-3, which needs more steps than a
        // unit test should take. MnistRun itself is covered with mnist-mlp.
        Torch.ManualSeed(6);
        var model = Presets.Create("mnist-lstm");
        var history = model.Fit(MnistData.Train.Take(2000), new Adam(model.Parameters(), lr: 3e-3f), Losses.CrossEntropy,
            epochs: 2, batchSize: 20, validation: MnistData.Test.Take(500), seed: 6, verbose: false);

        // Chance is 10%; the full W3 run reaches 96%+ in three epochs.
        double accuracy = history["val_accuracy"][^1];
        Assert.True(accuracy >= 0.6, $"test accuracy {accuracy:P2} after 2 epochs on 2,000 images");
        Assert.True(history["loss"][1] < history["loss"][0]);
    }
}
