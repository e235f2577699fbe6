using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

/// <summary>Fit / Evaluate / Predict on a 2,000-image MNIST subset: the whole training path, end to end.</summary>
public class FitTests
{
    /// <summary>W1 of the benchmark protocol (the mnist-mlp preset), initialised from its own generator.</summary>
    internal static Sequential W1(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Flatten(), new Linear(784, 512, generator: g), new ReLU(),
            new Linear(512, 512, generator: g), new ReLU(), new Linear(512, 10, generator: g));
    }

    [Fact]
    public void The_W1_MLP_reaches_a_real_test_accuracy_and_history_records_every_epoch()
    {
        var train = MnistData.Train.Take(2000);
        var test = MnistData.Test.Take(1000);
        var model = W1(seed: 1);
        var (lossBefore, accuracyBefore) = model.Evaluate(test, Losses.CrossEntropy);

        var history = model.Fit(train, new Adam(model.Parameters(), lr: 1e-3f), Losses.CrossEntropy,
            epochs: 3, batchSize: 64, validation: test, seed: 1, verbose: false);

        Assert.Equal(3, history.Epochs);
        foreach (var key in new[] { "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time" })
            Assert.Equal(3, history[key].Count);
        var loss = history["loss"];
        Assert.True(loss[0] > loss[1] && loss[1] > loss[2], $"training loss {string.Join(", ", loss)} should decrease");
        Assert.True(history["accuracy"][2] > history["accuracy"][0]);
        Assert.All(history["lr"], lr => Assert.Equal(1e-3, lr, 1e-9));

        double accuracy = history["val_accuracy"][^1];
        Assert.True(accuracy >= 0.85, $"test accuracy {accuracy:P2} after 3 epochs on 2,000 images");
        Assert.True(accuracyBefore < 0.3, $"untrained accuracy {accuracyBefore:P2}");
        Assert.True(history["val_loss"][^1] < lossBefore / 3, $"test loss {history["val_loss"][^1]} from {lossBefore}");

        // Evaluate and Predict agree with what Fit logged, and leave the model in training mode.
        var (valLoss, valAccuracy) = model.Evaluate(test, Losses.CrossEntropy);
        Assert.Equal(history["val_loss"][^1], valLoss, 1e-9);
        Assert.Equal(accuracy, valAccuracy);
        Assert.True(model.Training);
        var logits = model.Predict(test.Inputs, batchSize: 300);
        Assert.Equal(new Shape(1000, 10), logits.Shape);
        Assert.Null(logits.GradFn);
        var predicted = F.ArgMax(logits, 1).ToArray();
        double predictAccuracy = predicted.Zip(test.Targets.ToArray()).Count(p => p.First == p.Second) / 1000.0;
        Assert.Equal(accuracy, predictAccuracy);
    }

    [Fact]
    public void Fit_with_the_same_seeds_repeats_exactly()
    {
        var train = MnistData.Train.Take(300);
        History Run()
        {
            var model = new Sequential(new Flatten(), new Linear(784, 32, generator: new Generator(3)), new ReLU(),
                new Linear(32, 10, generator: new Generator(4)));
            return model.Fit(train, new Sgd(model.Parameters(), lr: 0.1f), Losses.CrossEntropy,
                epochs: 2, batchSize: 32, seed: 9, verbose: false);
        }
        Assert.Equal(Run()["loss"], Run()["loss"]);
    }

    [Fact]
    public void History_exports_csv_with_one_row_per_epoch()
    {
        var model = new Sequential(new Flatten(), new Linear(784, 10, generator: new Generator(2)));
        var history = model.Fit(MnistData.Train.Take(100), new Sgd(model.Parameters(), lr: 0.1f), Losses.CrossEntropy,
            epochs: 2, batchSize: 50, verbose: false);
        var lines = history.ToCsv().TrimEnd('\n').Split('\n');
        Assert.Equal("epoch,loss,accuracy,lr,time", lines[0]);
        Assert.Equal(3, lines.Length);
        string firstLoss = history["loss"][0].ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("1," + firstLoss + ",", lines[1]);
        var e = Assert.Throws<KeyNotFoundException>(() => history["val_loss"]);
        Assert.Contains("loss, accuracy, lr, time", e.Message);
    }
}
