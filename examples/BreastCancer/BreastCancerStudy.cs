using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.BreastCancer;

/// <summary>What the study reports on the held-out 20%.</summary>
public sealed record BreastCancerResult(double Accuracy, double RocAuc, double AveragePrecision, ConfusionMatrix Confusion);

/// <summary>
/// The Wisconsin diagnostic breast-cancer table, as a study would run it: read the CSV by column name, split 80/20
/// keeping the share of malignant tumours in both parts, standardise on the training part only, train a small MLP,
/// and report on the held-out part.
/// </summary>
public static class BreastCancerStudy
{
    public static BreastCancerResult Run(ulong seed = 5, int epochs = 60, TextWriter? log = null, string? confusionPng = null)
    {
        var table = SampleTables.BreastCancer();
        var classes = table.Classes!;
        var (trainPart, testPart) = Splits.Stratified(table.Dataset, testFraction: 0.2, seed);
        var (xTrain, yTrain) = trainPart.ToTensors();
        var (xTest, yTest) = testPart.ToTensors();
        // Statistics from the training part only: the held-out tumours must not shape the inputs.
        var scaler = Standardizer.Fit(xTrain);
        var train = new TensorDataset(scaler.Transform(xTrain), yTrain);
        var test = new TensorDataset(scaler.Transform(xTest), yTest);
        log?.WriteLine($"{table.Dataset.Count} tumours x {table.FeatureNames.Length} features; " +
                       $"classes {string.Join(", ", classes)}; train {train.Count}, test {test.Count} (stratified)");

        var g = new Generator(seed);
        var model = new Sequential(
            new Linear(table.FeatureNames.Length, 16, generator: g), new ReLU(), new Linear(16, classes.Length, generator: g));
        model.Fit(train, new Adam(model.Parameters(), lr: 1e-3f), Losses.CrossEntropy, epochs: epochs, batchSize: 32, seed: seed,
            verbose: false, metrics: [Metric.Accuracy(), Metric.RocAuc()]);

        var logits = model.Predict(test.Inputs);
        var confusion = ConfusionMatrix.FromOutputs(logits, test.Targets, classes);
        var result = new BreastCancerResult(confusion.Accuracy, Metrics.RocAuc(logits, test.Targets),
            Metrics.AveragePrecision(logits, test.Targets), confusion);
        if (confusionPng is not null) Dendrite.Visualization.ConfusionMatrixPlot.Save(confusion, confusionPng);
        return result;
    }
}
