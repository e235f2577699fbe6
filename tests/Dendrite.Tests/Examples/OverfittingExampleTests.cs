using Dendrite.Examples.Overfitting;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;
using StbImageSharp;

namespace Dendrite.Tests.Examples;

public class OverfittingExampleTests
{
    [Fact]
    public void Networks_differ_only_in_dropout_layers()
    {
        var plain = OverfittingExample.Network(0f);
        var dropout = OverfittingExample.Network(0.5f);

        // 784·800 + 800 + 800·800 + 800 + 800·10 + 10 = 1,276,810 in both.
        Assert.Equal(1_276_810, plain.Summary(1, 784).TotalParameters);
        Assert.Equal(1_276_810, dropout.Summary(1, 784).TotalParameters);
        Assert.Empty(plain.Modules().OfType<Dropout>());
        Assert.Equal([0.2f, 0.5f, 0.5f], dropout.Modules().OfType<Dropout>().Select(d => d.P));
    }

    [Fact]
    public void Split_keeps_validation_images_out_of_training()
    {
        var (train, validation) = OverfittingExample.Split(MnistData.Train, trainCount: 100, validationCount: 50);

        Assert.Equal(100, train.Count);
        Assert.Equal(50, validation.Count);
        Assert.Equal(MnistData.Train[59_950].Target.Item(), validation[0].Target.Item());
        Assert.Equal(MnistData.Train[0].Input.ToArray(), train[0].Input.ToArray());
    }

    [Fact]
    public void Small_run_with_early_stopping_writes_curves_and_restores_the_best_epoch()
    {
        using var dir = new TempDirectory();
        var (train, validation) = OverfittingExample.Split(MnistData.Train, trainCount: 300, validationCount: 300);
        var stopper = new EarlyStopping("val_loss", patience: 1, restoreBestWeights: true);

        var result = OverfittingExample.Train(OverfittingExample.Variants[2], train, validation, epochs: 6, hidden: 64,
            callbacks: [stopper]);
        var (csv, png) = OverfittingExample.WriteCurves(result, dir.Path);

        int epochs = result.History.Epochs;
        Assert.InRange(epochs, 1, 6);
        Assert.True(result.History["val_accuracy"].Max() > 0.6, $"validation accuracy {result.History["val_accuracy"].Max()}");
        // The restored model scores the best epoch's validation loss again.
        var (loss, _) = result.Model.Evaluate(validation, Losses.CrossEntropy);
        Assert.Equal(result.History["val_loss"].Min(), loss, 4);
        Assert.Equal(stopper.Best, loss, 4);

        var lines = File.ReadAllLines(csv);
        Assert.Equal("epoch,loss,accuracy,lr,time,val_loss,val_accuracy", lines[0]);
        Assert.Equal(epochs + 1, lines.Length);
        var image = ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlue);
        Assert.Equal((640, 400), (image.Width, image.Height));
        Assert.Equal(Path.Combine(dir.Path, "weight-decay-loss.png"), png);
    }
}
