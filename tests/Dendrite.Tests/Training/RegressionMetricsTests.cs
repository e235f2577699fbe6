using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

public class RegressionMetricsTests
{
    [Fact]
    public void R2_mae_and_rmse_match_scikit_learns_example()
    {
        // r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.948608… in scikit-learn's documentation:
        // residuals 0.25 + 0.25 + 0 + 1 = 1.5; mean 2.875, total 29.1875; 1 − 1.5 / 29.1875.
        float[] actual = [3f, -0.5f, 2f, 7f];
        float[] predicted = [2.5f, 0f, 2f, 8f];
        Assert.Equal(1 - 1.5 / 29.1875, Metrics.R2Score(actual, predicted), 12);
        Assert.Equal(0.5, Metrics.MeanAbsoluteError(actual, predicted), 12);
        Assert.Equal(Math.Sqrt(1.5 / 4), Metrics.RootMeanSquaredError(actual, predicted), 12);
    }

    [Fact]
    public void R2_of_constant_targets_is_forced_finite_as_scikit_learn_does()
    {
        Assert.Equal(1.0, Metrics.R2Score([2f, 2f], [2f, 2f]));
        Assert.Equal(0.0, Metrics.R2Score([2f, 2f], [2f, 3f]));
    }

    [Fact]
    public void Fit_on_a_regression_logs_the_metrics_asked_for_and_no_accuracy()
    {
        // y = 2·x₀ − x₁ + 0.5 exactly; a linear model fits it, so R² → 1.
        var g = new Generator(3);
        var x = Tensor.Empty(64, 2);
        var y = Tensor.Empty(64, 1);
        for (int i = 0; i < 64; i++)
        {
            float a = g.NextFloat() * 2 - 1, b = g.NextFloat() * 2 - 1;
            x.Data[2 * i] = a;
            x.Data[2 * i + 1] = b;
            y.Data[i] = 2 * a - b + 0.5f;
        }
        var data = new TensorDataset(x, y);
        var model = new Sequential(new Linear(2, 1, generator: new Generator(1)));
        var history = model.Fit(data, new Adam(model.Parameters(), lr: 0.05f), Losses.MSE, epochs: 60, batchSize: 16,
            validation: data, verbose: false, metrics: [Metric.R2(), Metric.MeanAbsoluteError()]);
        Assert.DoesNotContain("accuracy", history.Values.Keys);
        Assert.DoesNotContain("val_accuracy", history.Values.Keys);
        Assert.True(history["val_r2"][^1] > 0.99, $"validation R² {history["val_r2"][^1]}");
        Assert.True(history["mae"][^1] < history["mae"][0]);
        var results = model.Evaluate(data, Losses.MSE, [Metric.R2()]);
        Assert.Equal(history["val_r2"][^1], results["r2"], 12);
        Assert.Equal(["loss", "r2"], results.Keys.Order());
    }

    [Fact]
    public void Fit_without_metrics_logs_no_accuracy_for_real_valued_targets()
    {
        var x = Tensor.FromArray([0f, 1f, 2f, 3f], 4, 1);
        var y = Tensor.FromArray([0.5f, 2.5f, 4.5f, 6.5f], 4);
        var model = new Sequential(new Linear(1, 1, generator: new Generator(1)), new Flatten(0));
        var history = model.Fit(new TensorDataset(x, y), new Sgd(model.Parameters(), lr: 0.01f), Losses.MSE, epochs: 1,
            verbose: false);
        Assert.DoesNotContain("accuracy", history.Values.Keys);
    }
}
