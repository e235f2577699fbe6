using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.MnistMlp;

/// <summary>The W1 network trained on MNIST two ways: an explicit PyTorch-style loop, and Keras-style Fit.</summary>
public static class MnistMlpExample
{
    /// <summary>784-512 ReLU-512 ReLU-10, the same network as the CLI's mnist-mlp preset, written out.</summary>
    public static Sequential CreateModel() => new(
        new Flatten(),                 // [N, 1, 28, 28] → [N, 784]
        new Linear(784, 512), new ReLU(),
        new Linear(512, 512), new ReLU(),
        new Linear(512, 10));          // logits: CrossEntropy applies the softmax

    /// <summary>The explicit loop: forward, loss, ZeroGrad, Backward, Step; test accuracy counted by hand.</summary>
    public static double TrainWithLoop(int epochs, ulong seed = 1)
    {
        var (train, test) = Mnist.Load();   // the vendored data/mnist, found by walking up from here
        Torch.ManualSeed(seed);             // initial weights come from the default generator
        var model = CreateModel();
        var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
        // recycle: each iteration's tensors (batch, activations, gradients) give their storage back at the next one,
        // so training takes no fresh memory after the first step. Values are read out (loss.Item()) inside the loop.
        var loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: seed, recycle: true);
        Console.WriteLine($"Training {train.Count} images, testing {test.Count}; {epochs} epochs of {loader.Count} batches");

        double accuracy = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.Train();
            double lossSum = 0;
            int seen = 0;
            foreach (var (x, y) in loader)
            {
                var loss = F.CrossEntropy(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                lossSum += loss.Item() * x.Size(0);
                seen += x.Size(0);
            }
            accuracy = TestAccuracy(model, test);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {epoch}/{epochs} - {clock.Elapsed.TotalSeconds:0.0}s - loss {lossSum / seen:0.0000} - test accuracy {accuracy * 100:0.00}%"));
        }
        return accuracy;
    }

    /// <summary>Fraction of <paramref name="test"/> whose highest logit is the label, in eval mode without the tape.</summary>
    public static double TestAccuracy(Module model, IDataset test)
    {
        model.Eval();
        int correct = 0;
        using (Tensor.NoGrad())
        {
            foreach (var (x, y) in new DataLoader(test, batchSize: 1000, recycle: true))
            {
                var predicted = model.Forward(x).ArgMax(dim: 1);   // class indices, as floats like the labels
                for (int i = 0; i < y.Size(0); i++)
                    if (predicted[i] == y[i]) correct++;
            }
        }
        model.Train();
        return (double)correct / test.Count;
    }

    /// <summary>The same training in Keras style: Fit prints a line per epoch; Evaluate and Predict follow.</summary>
    public static double TrainWithFit(int epochs, ulong seed = 1)
    {
        var (train, test) = Mnist.Load();
        Torch.ManualSeed(seed);
        var model = CreateModel();
        var history = model.Fit(train, new Adam(model.Parameters(), lr: 1e-3f), Losses.CrossEntropy,
            epochs: epochs, batchSize: 128, validation: test, seed: seed);
        var (testLoss, testAccuracy) = model.Evaluate(test, Losses.CrossEntropy);
        Tensor logits = model.Predict(test.Inputs.Slice(0, 5));         // [5, 10]
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Evaluate: loss {testLoss:0.0000}, accuracy {testAccuracy * 100:0.00}%; history holds {history.Epochs} epochs"));
        Console.WriteLine($"Predict: first five digits {Format(logits.ArgMax(dim: 1))}, labels {Format(test.Targets.Slice(0, 5))}");
        return testAccuracy ?? 0;
    }

    private static string Format(Tensor t) => string.Join(" ", t.ToArray().Select(v => v.ToString("0", CultureInfo.InvariantCulture)));
}
