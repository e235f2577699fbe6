using Dendrite.Training;

namespace Dendrite.Tests.Training;

public class ClassMetricTests
{
    /// <summary>Scores [N, 3] whose arg-max is <paramref name="predicted"/>.</summary>
    private static Tensor Scores(int[] predicted)
    {
        var scores = Tensor.Zeros(predicted.Length, 3);
        for (int i = 0; i < predicted.Length; i++) scores.Data[i * 3 + predicted[i]] = 2f;
        return scores;
    }

    [Fact]
    public void Precision_and_recall_metrics_match_scikit_learns_example()
    {
        // scikit-learn's precision_score / recall_score example: y_true [0, 1, 2, 0, 1, 2], y_pred [0, 2, 1, 0, 0, 1].
        // Precision per class: 2/3, 0, 0 (macro 2/9); recall per class: 1, 0, 0 (macro 1/3). Supports are equal, so
        // the weighted averages are the macro ones.
        var outputs = Scores([0, 2, 1, 0, 0, 1]);
        var targets = Tensor.FromArray([0f, 1f, 2f, 0f, 1f, 2f], 6);
        foreach (var (metric, name, expected) in new (Metric, string, double)[]
        {
            (Metric.Precision(), "precision_macro", 2.0 / 9),
            (Metric.Precision(ClassAverage.Weighted), "precision_weighted", 2.0 / 9),
            (Metric.Recall(), "recall_macro", 1.0 / 3),
            (Metric.Recall(ClassAverage.Weighted), "recall_weighted", 1.0 / 3),
        })
        {
            // Two batches: the score is over the epoch, not an average of batch scores.
            metric.Update(outputs.Slice(0, 4), Tensor.FromArray([0f, 1f, 2f, 0f], 4));
            metric.Update(outputs.Slice(4, 2), Tensor.FromArray([1f, 2f], 2));
            Assert.Equal(name, metric.Name);
            Assert.Equal(expected, metric.Result(), 12);
            metric.Reset();
            metric.Update(outputs, targets);
            Assert.Equal(expected, metric.Result(), 12);
        }
    }
}
