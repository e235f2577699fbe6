using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.Examples.MnistMlp;
using Dendrite.NN;

namespace Dendrite.Tests.Examples;

// Full-MNIST accuracy is the example's own check (it exits non-zero below its target); these keep its parts honest.
public class MnistMlpExampleTests
{
    [Fact]
    public void Written_out_model_is_the_W1_preset()
    {
        var written = MnistMlpExample.CreateModel().StateDict();
        var preset = Presets.MnistMlp().StateDict();

        Assert.Equal(preset.Keys, written.Keys);
        foreach (var (name, tensor) in preset) Assert.Equal(tensor.Shape, written[name].Shape);
    }

    [Fact]
    public void Test_accuracy_counts_arg_max_hits_without_recording()
    {
        // Four one-pixel "images" whose value names the class the model picks; labels agree on three of them.
        var images = Tensor.FromArray([2f, 0f, 7f, 4f], 4, 1, 1, 1);
        var labels = Tensor.FromArray([2f, 0f, 7f, 5f]);
        var model = new PixelPicksClass();

        double accuracy = MnistMlpExample.TestAccuracy(model, new TensorDataset(images, labels));

        Assert.Equal(0.75, accuracy);
        Assert.False(model.SawGradMode);
        Assert.False(model.SawTraining);
        Assert.True(model.Training);
    }

    /// <summary>Logits with a 1 at the class given by each sample's single pixel; remembers the modes it ran in.</summary>
    private sealed class PixelPicksClass : Module
    {
        public bool SawGradMode { get; private set; }
        public bool SawTraining { get; private set; }

        public override Tensor Forward(Tensor input)
        {
            SawGradMode |= Dendrite.Autograd.GradMode.IsEnabled;
            SawTraining |= Training;
            int n = input.Size(0);
            var logits = Tensor.Zeros(n, 10);
            for (int i = 0; i < n; i++) logits[i, (int)input[i, 0, 0, 0]] = 1f;
            return logits;
        }
    }
}
