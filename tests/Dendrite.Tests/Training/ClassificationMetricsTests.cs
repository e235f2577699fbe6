using Dendrite.Training;

namespace Dendrite.Tests.Training;

/// <summary>Values from scikit-learn's documented definitions, worked out by hand in the comments.</summary>
public class ClassificationMetricsTests
{
    [Fact]
    public void Roc_auc_and_average_precision_match_scikit_learns_documented_example()
    {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75: of the 4 positive-negative pairs only (0.35, 0.4)
        // is ranked wrong. AP: thresholds 0.8 (P 1, R ½), 0.4 (P ½, R ½), 0.35 (P ⅔, R 1), 0.1 (P ½, R 1)
        // → ½·1 + 0·½ + ½·⅔ + 0 = 0.8333.
        bool[] positive = [false, false, true, true];
        double[] scores = [0.1, 0.4, 0.35, 0.8];
        Assert.Equal(0.75, Metrics.RocAuc(positive, scores), 12);
        Assert.Equal(5.0 / 6.0, Metrics.AveragePrecision(positive, scores), 12);
    }

    [Fact]
    public void Tied_scores_count_half_and_form_one_threshold()
    {
        bool[] positive = [false, true, false, true];
        double[] scores = [0.5, 0.5, 0.5, 0.5];
        Assert.Equal(0.5, Metrics.RocAuc(positive, scores), 12);
        Assert.Equal(0.5, Metrics.AveragePrecision(positive, scores), 12);
        // One tie across classes among 2 × 2 pairs: (1 + 1 + 1 + ½) / 4.
        Assert.Equal(0.875, Metrics.RocAuc([false, false, true, true], [0.1, 0.6, 0.6, 0.9]), 12);
    }

    [Fact]
    public void One_class_only_is_an_error_that_says_so()
    {
        var e = Assert.Throws<ArgumentException>(() => Metrics.RocAuc([true, true], [0.1, 0.2]));
        Assert.Contains("only one class is present among the 2 samples", e.Message);
    }

    [Fact]
    public void One_vs_rest_averages_each_class_against_the_others()
    {
        // class 0: positives 0.7, 0.2 vs negatives 0.3, 0.1 → 3 of 4 pairs right, 0.75
        // class 1: positive 0.4 vs 0.2, 0.3, 0.5 → 2/3;  class 2: positive 0.6 vs 0.1, 0.3, 0.3 → 1
        // macro (0.75 + 2/3 + 1) / 3; weighted by support 2, 1, 1: (1.5 + 2/3 + 1) / 4.
        var probabilities = Tensor.FromArray([0.7f, 0.2f, 0.1f, 0.3f, 0.4f, 0.3f, 0.1f, 0.3f, 0.6f, 0.2f, 0.5f, 0.3f], 4, 3);
        var labels = Tensor.FromArray([0f, 1f, 2f, 0f], 4);
        Assert.Equal((0.75 + 2.0 / 3 + 1) / 3, Metrics.RocAuc(probabilities, labels, logits: false), 6);
        Assert.Equal((1.5 + 2.0 / 3 + 1) / 4, Metrics.RocAuc(probabilities, labels, ClassAverage.Weighted, logits: false), 6);
    }

    [Fact]
    public void Two_logits_rank_by_the_softmax_of_class_one()
    {
        // Softmax's class-1 probability is sigmoid(l1 − l0): differences 1, −1, 3, 0.5 for labels 1, 0, 1, 0.
        // Raw l1 would rank sample 1 (l1 = 4) above all, giving a different AUC.
        var logits = Tensor.FromArray([0f, 1f, 5f, 4f, -1f, 2f, 0f, 0.5f], 4, 2);
        var labels = Tensor.FromArray([1f, 0f, 1f, 0f], 4);
        Assert.Equal(1.0, Metrics.RocAuc(logits, labels), 12);
        var single = Tensor.FromArray([1f, -1f, 3f, 0.5f], 4, 1);
        Assert.Equal(1.0, Metrics.RocAuc(single, labels), 12);
    }

    [Fact]
    public void Confusion_matrix_scores_match_precision_recall_fscore_support()
    {
        // scikit-learn's example: y_true [0, 1, 2, 0, 1, 2], y_pred [0, 2, 1, 0, 0, 1].
        // Class 0: TP 2, FP 1 → P ⅔, R 1, F1 0.8; classes 1 and 2: no true positive → 0.
        var m = new ConfusionMatrix([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], ["cat", "dog", "pig"]);
        Assert.Equal(2, m[0, 0]);
        Assert.Equal(1, m[1, 0]);
        Assert.Equal(1, m[1, 2]);
        Assert.Equal(2.0 / 3, m.Precision(0), 12);
        Assert.Equal(1.0, m.Recall(0), 12);
        Assert.Equal(0.8, m.F1(0), 12);
        Assert.Equal(0.0, m.F1(1), 12);
        Assert.Equal(2.0 / 9, m.Precision(ClassAverage.Macro), 12);
        Assert.Equal(1.0 / 3, m.Recall(ClassAverage.Macro), 12);
        Assert.Equal(0.8 / 3, m.F1(ClassAverage.Macro), 12);
        Assert.Equal(1.0 / 3, m.Accuracy, 12);
    }

    [Fact]
    public void Weighted_averages_weigh_classes_by_support()
    {
        // y_true [0, 0, 0, 1], y_pred [0, 0, 1, 1]: class 0 P 1, R ⅔, F1 0.8 (support 3); class 1 P ½, R 1, F1 ⅔ (support 1).
        var m = new ConfusionMatrix([0, 0, 0, 1], [0, 0, 1, 1]);
        Assert.Equal((3 * 0.8 + 2.0 / 3) / 4, m.F1(ClassAverage.Weighted), 12);
        Assert.Equal((0.8 + 2.0 / 3) / 2, m.F1(ClassAverage.Macro), 12);
        Assert.Equal((3 * 1 + 0.5) / 4, m.Precision(ClassAverage.Weighted), 12);
        string report = m.ToString();
        Assert.Contains("true \\ predicted", report);
        Assert.Contains("weighted avg", report);
        Assert.Contains("0.7667", report);
    }

    [Fact]
    public void Confusion_matrix_from_outputs_takes_arg_max_or_a_threshold()
    {
        var logits = Tensor.FromArray([2f, 1f, 0f, 3f, 5f, 1f], 3, 2);
        var m = ConfusionMatrix.FromOutputs(logits, Tensor.FromArray([0f, 1f, 1f], 3), ["no", "yes"]);
        Assert.Equal([1L, 0L, 1L, 1L], new[] { m[0, 0], m[0, 1], m[1, 0], m[1, 1] });
        var binary = ConfusionMatrix.FromOutputs(Tensor.FromArray([0.2f, 0.7f], 2), Tensor.FromArray([0f, 0f], 2), ["no", "yes"]);
        Assert.Equal(1, binary[0, 1]);
    }
}
