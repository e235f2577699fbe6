using Dendrite.Cli;
using Dendrite.Examples.MnistCnn;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Examples;

// Full-MNIST accuracy is the example's own check (it exits non-zero below its target); these keep its parts honest.
// In the process-state collection because dropout masks come from the process-wide default generator: a test running
// beside this one could draw from it between the two trainings and make them differ.
[Collection(ProcessStateCollection.Name)]
public class MnistCnnExampleTests
{
    [Fact]
    public void Written_out_model_is_the_W2_preset()
    {
        var written = MnistCnnExample.CreateModel().StateDict();
        var preset = Presets.MnistCnn().StateDict();

        Assert.Equal(preset.Keys, written.Keys);
        foreach (var (name, tensor) in preset) Assert.Equal(tensor.Shape, written[name].Shape);
        Assert.Equal(1_199_882, written.Values.Sum(t => t.Numel));
    }

    [Fact]
    public void Loop_and_fit_train_the_same_network_on_a_subset()
    {
        var train = MnistData.Train.Take(640);
        var test = MnistData.Test.Take(300);
        var loopLog = new StringWriter();
        var fitLog = new StringWriter();

        var loop = MnistCnnExample.TrainWithLoop(train, test, epochs: 1, loopLog);
        var fit = MnistCnnExample.TrainWithFit(train, test, epochs: 1, fitLog);

        // Same seed, same initial weights, batches and dropout masks: the two styles are one computation.
        Assert.Equal(loop, fit);
        Assert.True(loop[0] >= 0.5, $"test accuracy {loop[0]:P2} after 10 steps on 640 images");
        Assert.Contains("Training 640 images, testing 300; 1 epochs of 10 batches", loopLog.ToString());
        Assert.Contains($"test accuracy {loop[0] * 100:0.00}%", loopLog.ToString());
        Assert.Contains($"Evaluate: loss", fitLog.ToString());
    }
}
