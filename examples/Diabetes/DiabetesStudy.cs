using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.Diabetes;

/// <summary>What the study reports on the held-out 20%: regression errors in the target's units, and R².</summary>
public sealed record DiabetesResult(double R2, double MeanAbsoluteError, double RootMeanSquaredError, History History);

/// <summary>
/// The diabetes table (Efron et al., 2004): disease progression after one year from ten baseline variables. A
/// regression: the model is judged by R² and errors, and no accuracy is logged or printed.
/// </summary>
public static class DiabetesStudy
{
    public static DiabetesResult Run(ulong seed = 1, int epochs = 100)
    {
        var table = SampleTables.Diabetes();
        var parts = Splits.RandomSplit(table.Dataset, [0.8, 0.2], seed);
        var (xTrain, yTrain) = parts[0].ToTensors();
        var (xTest, yTest) = parts[1].ToTensors();
        var scaler = Standardizer.Fit(xTrain);
        // Targets (25 … 346) are standardised too, so the loss starts near 1; predictions are mapped back to report.
        var targetScaler = Standardizer.Fit(yTrain.Reshape(yTrain.Shape[0], 1));
        var train = new TensorDataset(scaler.Transform(xTrain), targetScaler.Transform(yTrain.Reshape(yTrain.Shape[0], 1)));
        var test = new TensorDataset(scaler.Transform(xTest), targetScaler.Transform(yTest.Reshape(yTest.Shape[0], 1)));

        var g = new Generator(seed);
        var model = new Sequential(
            new Linear(table.FeatureNames.Length, 16, generator: g), new ReLU(), new Linear(16, 1, generator: g));
        var history = model.Fit(train, new Adam(model.Parameters(), lr: 1e-3f, weightDecay: 1e-2f), Losses.MSE, epochs: epochs,
            batchSize: 32, seed: seed, verbose: false, validation: test, metrics: [Metric.R2()]);

        var scaled = model.Predict(test.Inputs).ToArray();
        float mean = targetScaler.Mean[0], std = targetScaler.Std[0];
        var predicted = scaled.Select(v => v * std + mean).ToArray();
        var actual = yTest.ToArray();
        return new DiabetesResult(Metrics.R2Score(actual, predicted), Metrics.MeanAbsoluteError(actual, predicted),
            Metrics.RootMeanSquaredError(actual, predicted), history);
    }
}
