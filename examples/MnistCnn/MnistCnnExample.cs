using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.MnistCnn;

/// <summary>The W2 convolutional network trained on MNIST two ways: an explicit PyTorch-style loop, and Keras-style Fit.</summary>
public static class MnistCnnExample
{
    /// <summary>
    /// PyTorch's examples/mnist network, the same as the CLI's mnist-cnn preset, written out: two 3×3 convolutions,
    /// 2×2 max pooling, dropout, and two dense layers that vote on the digit. 1,199,882 parameters.
    /// </summary>
    public static Sequential CreateModel() => new(
        new Conv2d(1, 32, 3), new ReLU(),         // [N, 1, 28, 28] → [N, 32, 26, 26]: 32 detectors slid over the image
        new Conv2d(32, 64, 3), new ReLU(),        // → [N, 64, 24, 24]: detectors of patterns of those patterns
        new MaxPool2d(2),                          // → [N, 64, 12, 12]: keep the strongest response in each 2×2 window
        new Dropout(0.25f),
        new Flatten(),                             // → [N, 9216]
        new Linear(9216, 128), new ReLU(),
        new Dropout(0.5f),
        new Linear(128, 10));                      // logits: CrossEntropy applies the softmax

    /// <summary>
    /// The explicit loop: forward, loss, ZeroGrad, Backward, Step, with Adam (lr 1e-3) in batches of 64; after each
    /// epoch the test accuracy, counted by hand, is printed to <paramref name="log"/>.
    /// </summary>
    /// <returns>The test accuracy after each epoch.</returns>
    public static IReadOnlyList<double> TrainWithLoop(IDataset train, IDataset test, int epochs, TextWriter log, ulong seed = 1)
    {
        Torch.ManualSeed(seed);             // initial weights and dropout masks come from the default generator
        var model = CreateModel();
        var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
        // recycle: each iteration's tensors (batch, activations, gradients) give their storage back at the next one,
        // so training takes no fresh memory after the first step. Values are read out (loss.Item()) inside the loop.
        var loader = new DataLoader(train, batchSize: 64, shuffle: true, seed: seed, recycle: true);
        log.WriteLine($"Training {train.Count} images, testing {test.Count}; {epochs} epochs of {loader.Count} batches");

        var accuracies = new List<double>();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.Train();                  // dropout on
            double lossSum = 0;
            int seen = 0;
            foreach (var (x, y) in loader)
            {
                var loss = F.CrossEntropy(model.Call(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                lossSum += loss.Item() * x.Size(0);
                seen += x.Size(0);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            accuracies.Add(TestAccuracy(model, test));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {epoch}/{epochs} - {seconds:0.0}s - loss {lossSum / seen:0.0000} - test accuracy {accuracies[^1] * 100:0.00}%"));
        }
        return accuracies;
    }

    /// <summary>Fraction of <paramref name="test"/> whose highest logit is the label, in eval mode (dropout off) without the tape.</summary>
    public static double TestAccuracy(Module model, IDataset test)
    {
        model.Eval();
        int correct = 0;
        using (Tensor.NoGrad())
        {
            foreach (var (x, y) in new DataLoader(test, batchSize: 500, recycle: true))
            {
                var predicted = model.Call(x).ArgMax(dim: 1);   // class indices, as floats like the labels
                for (int i = 0; i < y.Size(0); i++)
                    if (predicted[i] == y[i]) correct++;
            }
        }
        model.Train();
        return (double)correct / test.Count;
    }

    /// <summary>The same training in Keras style: Fit prints a line per epoch to <paramref name="log"/>; Evaluate follows.</summary>
    /// <returns>The test accuracy after each epoch.</returns>
    public static IReadOnlyList<double> TrainWithFit(IDataset train, IDataset test, int epochs, TextWriter log, ulong seed = 1)
    {
        Torch.ManualSeed(seed);
        var model = CreateModel();
        var history = model.Fit(train, new Adam(model.Parameters(), lr: 1e-3f), Losses.CrossEntropy,
            epochs: epochs, batchSize: 64, validation: test, seed: seed, validationName: "test", output: log);
        var (testLoss, testAccuracy) = model.Evaluate(test, Losses.CrossEntropy);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Evaluate: loss {testLoss:0.0000}, accuracy {testAccuracy * 100:0.00}%"));
        return history["test_accuracy"];
    }
}
