using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;
using Dendrite.Visualization;

namespace Dendrite.Generative;

/// <summary>
/// Autoencoders on MNIST ("input = output, compress data"): a dense one, a convolutional one, and a dense one with a
/// 2-D code that can be drawn. Each learns to squeeze 784 pixels through a bottleneck and rebuild them; the test
/// reconstruction error (MSE on pixels in [0, 1]) says how much survives.
/// </summary>
public static class Autoencoders
{
    /// <summary>
    /// 784 → 512 → 128 → <paramref name="bottleneck"/> (ReLU between, a linear code) and back, 784 sigmoid outputs
    /// unflattened to [N, 1, 28, 28]. Named <c>dense</c>, or <c>dense-2d</c> for a 2-unit code.
    /// </summary>
    public static Autoencoder Dense(int bottleneck = 32) => new(bottleneck == 2 ? "dense-2d" : "dense",
        new Sequential(new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 128), new ReLU(),
            new Linear(128, bottleneck)),
        new Sequential(new Linear(bottleneck, 128), new ReLU(), new Linear(128, 512), new ReLU(), new Linear(512, 784),
            new Sigmoid(), new Unflatten(1, 1, 28, 28)),
        bottleneck);

    /// <summary>
    /// Two stride-2 3×3 convolutions (1 → 16 → 32 channels, 28 → 14 → 7) and a dense layer to the code; the decoder
    /// mirrors them with a dense layer and two stride-2 transposed convolutions (output padding 1 restores 7 → 14 → 28),
    /// sigmoid at the end.
    /// </summary>
    public static Autoencoder Convolutional(int bottleneck = 32) => new("conv",
        new Sequential(new Conv2d(1, 16, 3, stride: 2, padding: 1), new ReLU(), new Conv2d(16, 32, 3, stride: 2, padding: 1),
            new ReLU(), new Flatten(), new Linear(32 * 7 * 7, bottleneck)),
        new Sequential(new Linear(bottleneck, 32 * 7 * 7), new ReLU(), new Unflatten(1, 32, 7, 7),
            new ConvTranspose2d(32, 16, 3, stride: 2, padding: 1, outputPadding: 1), new ReLU(),
            new ConvTranspose2d(16, 1, 3, stride: 2, padding: 1, outputPadding: 1), new Sigmoid()),
        bottleneck);

    /// <summary>
    /// Trains <paramref name="model"/> to reproduce the images of <paramref name="train"/> (labels unused): MSE between
    /// output and input, Adam, shuffled mini-batches. Prints a line per epoch to <paramref name="output"/> and returns the
    /// mean training loss of each epoch.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public static IReadOnlyList<double> Train(Autoencoder model, IDataset train, int epochs, int batchSize = 128,
        float lr = 1e-3f, ulong seed = 1, TextWriter? output = null)
    {
        var optimizer = new Adam(model.Parameters(), lr);
        var loader = new DataLoader(train, batchSize, shuffle: true, seed: seed, recycle: true);
        var losses = new List<double>();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.Train();
            double sum = 0;
            int seen = 0;
            foreach (var (x, _) in loader)
            {
                var loss = F.MSELoss(model.Call(x), x);   // the input is the target
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                float value = loss.Item();
                if (!float.IsFinite(value))
                    throw new TrainingDivergedException($"Autoencoder({model.Name}): the loss became {value} in epoch {epoch}. Try a lower learning rate (now {lr}).");
                sum += value * x.Shape[0];
                seen += x.Shape[0];
            }
            losses.Add(sum / seen);
            output?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {model.Name} epoch {epoch}/{epochs} - {clock.Elapsed.TotalSeconds:0.0}s - train MSE {sum / seen:0.00000}"));
        }
        return losses;
    }

    /// <summary>Mean squared error per pixel between the images of <paramref name="data"/> and their reconstructions.</summary>
    public static double ReconstructionMse(Autoencoder model, IDataset data) =>
        model.Evaluate(data, (output, target) => F.MSELoss(output, target), batchSize: 500).Loss;

    /// <summary>The images of <paramref name="data"/> as a dataset whose targets are the images themselves.</summary>
    public static TensorDataset SelfSupervised(TensorDataset data) => new(data.Inputs, data.Inputs);

    /// <summary>
    /// Writes the first <paramref name="count"/> test images and their reconstructions as one PNG: rows of
    /// <paramref name="columns"/> originals, each followed by a row of their reconstructions.
    /// </summary>
    public static void WriteReconstructions(Autoencoder model, TensorDataset test, string path, int count = 32, int columns = 8)
    {
        if (count < 1 || count % columns != 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"WriteReconstructions: count must be a positive multiple of columns ({columns}), got {count}.");
        var originals = test.Inputs.Slice(0, count);
        var reconstructions = model.Predict(originals);
        var tiles = new List<Tensor>();
        for (int row = 0; row < count / columns; row++)
        {
            for (int i = 0; i < columns; i++) tiles.Add(originals.Slice(row * columns + i, 1).Reshape(1, 28, 28));
            for (int i = 0; i < columns; i++) tiles.Add(reconstructions.Slice(row * columns + i, 1).Reshape(1, 28, 28));
        }
        Png.WriteGrid(path, tiles, columns);
    }

    /// <summary>
    /// Encodes the images of <paramref name="data"/> with a model whose code has 2 units and draws each code as a dot
    /// coloured by the digit's label (tab10: 0 blue, 1 orange, 2 green, 3 red…). Returns the codes [N, 2].
    /// </summary>
    public static Tensor WriteLatentScatter(Autoencoder model, TensorDataset data, string path)
    {
        if (model.Bottleneck != 2)
            throw new ArgumentException($"WriteLatentScatter: the code must have 2 units to be drawn, {model.Name} has {model.Bottleneck}.");
        var codes = model.Encoder.Predict(data.Inputs);
        new ScatterPlot(700, 700) { PointRadius = 1 }.Add(codes, data.Targets).Save(path);
        return codes;
    }
}
