using Dendrite.Examples.BreastCancer;
using Dendrite.Examples.Diabetes;
using Xunit.Abstractions;

namespace Dendrite.Tests.Examples;

/// <summary>Issue 18's table acceptance: the vendored tables through the CSV reader, split, standardiser and Fit.</summary>
public class TableStudiesExampleTests(ITestOutputHelper output)
{
    [Fact]
    public void Breast_cancer_mlp_reaches_the_targets_on_the_stratified_held_out_fifth()
    {
        var result = BreastCancerStudy.Run();
        output.WriteLine(result.Confusion.ToString());
        output.WriteLine($"ROC AUC {result.RocAuc:0.0000}, average precision {result.AveragePrecision:0.0000}, accuracy {result.Accuracy:P2}");
        Assert.Equal(114, result.Confusion.Total);
        // Stratified: 42 of the 212 malignant and 72 of the 357 benign tumours are held out.
        Assert.Equal(72, result.Confusion.Support(0));
        Assert.Equal(42, result.Confusion.Support(1));
        Assert.True(result.RocAuc >= 0.99, $"test ROC AUC {result.RocAuc:0.0000}");
        Assert.True(result.Accuracy >= 0.96, $"test accuracy {result.Accuracy:P2}");
    }

    [Fact]
    public void Diabetes_regression_reports_r2_and_logs_no_accuracy()
    {
        var result = DiabetesStudy.Run();
        output.WriteLine($"test R² {result.R2:0.0000}, MAE {result.MeanAbsoluteError:0.0}, RMSE {result.RootMeanSquaredError:0.0}");
        Assert.DoesNotContain(result.History.Values.Keys, key => key.Contains("accuracy"));
        Assert.Contains("val_r2", result.History.Values.Keys);
        Assert.True(result.R2 >= 0.3, $"test R² {result.R2:0.0000}");
    }
}
