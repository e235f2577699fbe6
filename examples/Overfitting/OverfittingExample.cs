using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;
using Dendrite.Visualization;

namespace Dendrite.Examples.Overfitting;

/// <summary>
/// Overfitting on purpose: a large MLP (784-800-800-10, 1.3 million weights) trained on only 1,000 MNIST images
/// memorises them, and its validation loss turns upwards while the training loss keeps falling. Dropout and weight
/// decay narrow that gap; early stopping keeps the weights of the best validation epoch.
/// </summary>
public static class OverfittingExample
{
    /// <summary>The four settings compared: none, dropout, weight decay, both.</summary>
    public static IReadOnlyList<Variant> Variants { get; } =
    [
        new("plain", 0f, 0f),
        new("dropout", 0.5f, 0f),
        new("weight-decay", 0f, 0.5f),
        new("dropout+weight-decay", 0.5f, 0.5f),
    ];

    /// <summary>
    /// 784 → hidden → hidden → 10 with ReLU; when <paramref name="dropout"/> &gt; 0, Dropout(0.2) on the input pixels and
    /// Dropout(<paramref name="dropout"/>) after each hidden ReLU, the recipe of Srivastava et al. (2014) for MNIST.
    /// </summary>
    public static Sequential Network(float dropout, int hidden = 800)
    {
        var model = new Sequential(new Flatten());
        if (dropout > 0) model.Add(new Dropout(0.2f));
        model.Add(new Linear(784, hidden)).Add(new ReLU());
        if (dropout > 0) model.Add(new Dropout(dropout));
        model.Add(new Linear(hidden, hidden)).Add(new ReLU());
        if (dropout > 0) model.Add(new Dropout(dropout));
        return model.Add(new Linear(hidden, 10));
    }

    /// <summary>
    /// The data: the first <paramref name="trainCount"/> training images to learn from, and the last
    /// <paramref name="validationCount"/> training images (never trained on) to validate with.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Validation) Split(TensorDataset mnistTrain, int trainCount = 1000,
        int validationCount = 2000)
    {
        var validationRows = Enumerable.Range(mnistTrain.Count - validationCount, validationCount).ToArray();
        var (x, y) = mnistTrain.GetBatch(validationRows);
        return (mnistTrain.Take(trainCount), new TensorDataset(x, y));
    }

    /// <summary>
    /// Trains one variant from the weights that <paramref name="seed"/> gives every variant alike: AdamW (lr 1e-3),
    /// batch 32, cross-entropy, validation after every epoch. Extra callbacks (early stopping) join in.
    /// </summary>
    public static VariantResult Train(Variant variant, TensorDataset train, TensorDataset validation, int epochs,
        ulong seed = 1, int hidden = 800, IEnumerable<ICallback>? callbacks = null)
    {
        Torch.ManualSeed(seed);
        var model = Network(variant.Dropout, hidden);
        var optimizer = new AdamW(model.Parameters(), lr: 1e-3f, weightDecay: variant.WeightDecay);
        var history = model.Fit(train, optimizer, Losses.CrossEntropy, epochs, batchSize: 32, validation: validation,
            seed: seed, callbacks: callbacks, verbose: false);
        return new VariantResult(variant, history, model);
    }

    /// <summary>
    /// Writes <c>NAME.csv</c> (the history) and <c>NAME-loss.png</c> (training loss blue, validation loss orange) for the
    /// result, atomically. Returns the two paths.
    /// </summary>
    public static (string Csv, string Png) WriteCurves(VariantResult result, string directory)
    {
        string csv = Path.Combine(directory, result.Variant.Name + ".csv");
        string png = Path.Combine(directory, result.Variant.Name + "-loss.png");
        AtomicFile.WriteAllText(csv, result.History.ToCsv());
        new LineChart().Add(result.History["loss"]).Add(result.History["val_loss"]).Save(png);
        return (csv, png);
    }

    /// <summary>Validation accuracy per epoch of several results on one chart (colours in result order), as PNG.</summary>
    public static string WriteAccuracyChart(IReadOnlyList<VariantResult> results, string directory)
    {
        var chart = new LineChart(720, 450);
        foreach (var r in results) chart.Add(r.History["val_accuracy"]);
        string path = Path.Combine(directory, "val-accuracy.png");
        chart.Save(path);
        return path;
    }

    /// <summary>A line of the summary table.</summary>
    public static string Describe(VariantResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Variant.Name,-22} train acc {r.FinalTrainAccuracy * 100,6:0.00}%  val acc {r.FinalValAccuracy * 100,6:0.00}% (best {r.BestValAccuracy * 100:0.00}%)  val loss {r.History["val_loss"][^1]:0.0000} (min {r.History["val_loss"].Min():0.0000})");
}
