using Dendrite.Data;
using Dendrite.Generative;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;
using StbImageSharp;

namespace Dendrite.Tests.Generative;

[Collection(ProcessStateCollection.Name)]   // seeds the default generator
public class AutoencoderTests
{
    [Fact]
    public void Dense_and_convolutional_models_squeeze_digits_through_their_code_and_rebuild_28x28_pixels_in_0_1()
    {
        Torch.ManualSeed(2);
        var x = MnistData.Test.Inputs.Slice(0, 3);
        foreach (var (model, code) in new[] { (Autoencoders.Dense(32), 32), (Autoencoders.Convolutional(32), 32),
                     (Autoencoders.Dense(2), 2) })
        {
            Assert.Equal(new Shape(3, code), model.Encoder.Call(x).Shape);
            var y = model.Call(x);
            Assert.Equal(new Shape(3, 1, 28, 28), y.Shape);
            Assert.All(y.ToArray(), v => Assert.InRange(v, 0f, 1f));
        }
        Assert.Equal("dense-2d", Autoencoders.Dense(2).Name);
        // 784·512 + 512 + 512·128 + 128 + 128·32 + 32 = 471,712 in the encoder, 32·128 + 128 + 128·512 + 512 + 512·784 + 784 = 472,464 in the decoder.
        Assert.Equal(471_712 + 472_464, Autoencoders.Dense(32).Parameters().Sum(p => p.Numel));
        var e = Assert.Throws<ShapeMismatchException>(() => Autoencoders.Dense().Call(Tensor.Zeros(2, 784)));
        Assert.Contains("[2, 784]", e.Message);
    }

    [Fact]
    public void Dense_autoencoder_trained_on_a_subset_reconstructs_unseen_digits_better_than_the_mean_image()
    {
        Torch.ManualSeed(1);
        var model = Autoencoders.Dense(32);
        var train = MnistData.Train.Take(2000);
        var test = Autoencoders.SelfSupervised(MnistData.Test.Take(500));
        // The best constant guess, the mean training image, scores the pixels' variance: about 0.067 on MNIST.
        double baseline = MeanImageMse(train, test);

        var losses = Autoencoders.Train(model, train, epochs: 4, batchSize: 64, lr: 2e-3f);
        double mse = Autoencoders.ReconstructionMse(model, test);

        Assert.InRange(baseline, 0.06, 0.075);
        Assert.True(losses[^1] < losses[0], $"training MSE per epoch: {string.Join(", ", losses)}");
        Assert.True(mse < 0.045, $"test MSE {mse} (mean image {baseline})");
    }

    [Fact]
    public void Reconstruction_grid_puts_originals_over_reconstructions_and_the_latent_plot_has_one_code_per_digit()
    {
        using var dir = new TempDirectory();
        Torch.ManualSeed(4);
        var test = MnistData.Test.Take(40);
        var model = Autoencoders.Dense(2);

        Autoencoders.WriteReconstructions(model, test, dir.File("grid.png"), count: 16, columns: 8);
        var codes = Autoencoders.WriteLatentScatter(model, test, dir.File("latent.png"));

        var grid = ImageResult.FromMemory(File.ReadAllBytes(dir.File("grid.png")), ColorComponents.Grey);
        Assert.Equal((242, 122), (grid.Width, grid.Height));   // 8 columns, 4 rows of 28 + 2 padding, 2 more around
        var original = test.Inputs.Slice(1, 1).ToArray();
        var reconstruction = model.Predict(test.Inputs.Slice(1, 1)).ToArray();
        for (int y = 0; y < 28; y += 3)
            for (int x = 0; x < 28; x += 3)
            {
                // Tile 1 of the first row (left edge 2 + 30), and below it (top edge 2 + 30) its reconstruction.
                Assert.Equal((byte)MathF.Round(original[y * 28 + x] * 255f), grid.Data[(2 + y) * 242 + 32 + x]);
                Assert.Equal((byte)MathF.Round(reconstruction[y * 28 + x] * 255f), grid.Data[(32 + y) * 242 + 32 + x]);
            }
        Assert.Equal(new Shape(40, 2), codes.Shape);
        var plot = ImageResult.FromMemory(File.ReadAllBytes(dir.File("latent.png")), ColorComponents.RedGreenBlue);
        Assert.Equal((700, 700), (plot.Width, plot.Height));
        Assert.Throws<ArgumentException>(() =>
            Autoencoders.WriteLatentScatter(Autoencoders.Dense(32), test, dir.File("x.png")));
    }

    [Fact]
    public void Run_reports_each_variant_and_rejects_an_unknown_one()
    {
        using var dir = new TempDirectory();
        var data = (MnistData.Train.Take(256), MnistData.Test.Take(64));
        var log = new StringWriter();

        var mse = AutoencoderRun.Run(new AutoencoderRunOptions("conv", Epochs: 1, OutDir: dir.Path), log, data);

        Assert.Equal(["conv"], mse.Keys);
        Assert.InRange(mse["conv"], 0.01, 0.3);
        Assert.Contains("conv: test reconstruction MSE", log.ToString());
        Assert.True(File.Exists(dir.File("conv-reconstructions.png")));
        Assert.True(File.Exists(dir.File("conv.safetensors")));
        var e = Assert.Throws<ArgumentException>(() => AutoencoderRun.Run(new AutoencoderRunOptions("sparse"), log, data));
        Assert.Contains("dense, conv, dense-2d, all", e.Message);
    }

    private static double MeanImageMse(TensorDataset train, TensorDataset test)
    {
        var mean = train.Inputs.Mean(0);
        return (test.Inputs - mean).Pow(2).Mean().Item();
    }
}
