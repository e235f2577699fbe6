using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Cli;

/// <summary>The W2 network (<c>dendrite train mnist-cnn</c>) and mnist-best's network train on MNIST subsets.</summary>
public class MnistCnnTests
{
    [Fact]
    // 63 steps see 2,000 digits twice: 85.8% with seed 1 (the full protocol run reaches 98.4% after one epoch).
    public void W2_net_learns_digits_from_two_thousand_images()
    {
        Torch.ManualSeed(1);
        var model = Presets.MnistCnn();
        var history = model.Fit(MnistData.Train.Take(2000), new Adam(model.Parameters(), lr: 1e-3f), Losses.CrossEntropy,
            epochs: 2, batchSize: 64, validation: MnistData.Test.Take(1000), seed: 1, verbose: false);
        Assert.True(history["val_accuracy"][^1] >= 0.83, $"test accuracy {history["val_accuracy"][^1]:P2} after two epochs on 2,000 images");
    }

    [Fact]
    public void Best_recipe_trains_with_batch_norm_augmentation_and_one_cycle()
    {
        var output = new StringWriter();
        // Batch 32 gives 63 steps: enough for the running statistics that evaluation uses to forget their start (0.9⁶³).
        double accuracy = MnistRun.Run(new MnistRunOptions(Model: "mnist-best", Epochs: 1, BatchSize: 32, TrainLimit: 2000, Seed: 2), output);
        Assert.True(accuracy >= 0.85, $"test accuracy {accuracy:P2} after one epoch on 2,000 augmented images");
        Assert.Contains("Training mnist-best on MNIST: 2000 training and 10000 test images, 1 epochs, batch 32, lr 0.004 (one-cycle peak)", output.ToString());
    }
}
