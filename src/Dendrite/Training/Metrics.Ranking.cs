namespace Dendrite.Training;

public static partial class Metrics
{
    /// <summary>
    /// Area under the ROC curve of a binary problem, as scikit-learn's <c>roc_auc_score</c>: the curve's points are
    /// the (false positive rate, true positive rate) at every distinct score as threshold, joined by straight lines
    /// (so tied scores count half), and the area is taken by the trapezoidal rule. 0.5 is chance, 1 a perfect ranking.
    /// </summary>
    /// <param name="positive">Whether each sample is of the positive class.</param>
    /// <param name="scores">Higher means more likely positive (probabilities, logits, any monotone score).</param>
    /// <exception cref="ArgumentException">Lengths differ, or only one class is present (the curve is
    /// undefined).</exception>
    public static double RocAuc(ReadOnlySpan<bool> positive, ReadOnlySpan<double> scores)
    {
        double area = 0, tprBefore = 0, fprBefore = 0;
        foreach (var (tp, fp, positives, negatives) in ThresholdSteps(positive, scores, nameof(RocAuc)))
        {
            double tpr = (double)tp / positives, fpr = (double)fp / negatives;
            area += (fpr - fprBefore) * (tpr + tprBefore) / 2;
            (tprBefore, fprBefore) = (tpr, fpr);
        }
        return area;
    }

    /// <summary>
    /// Average precision, the area under the precision-recall curve as scikit-learn's
    /// <c>average_precision_score</c> defines it: AP = Σₙ (Rₙ − Rₙ₋₁) Pₙ over the distinct scores as thresholds,
    /// highest first. It is not interpolated: the trapezoidal area of the same curve is optimistic.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, or only one class is present.</exception>
    public static double AveragePrecision(ReadOnlySpan<bool> positive, ReadOnlySpan<double> scores)
    {
        double ap = 0, recallBefore = 0;
        foreach (var (tp, fp, positives, _) in ThresholdSteps(positive, scores, nameof(AveragePrecision)))
        {
            double recall = (double)tp / positives, precision = (double)tp / (tp + fp);
            ap += (recall - recallBefore) * precision;
            recallBefore = recall;
        }
        return ap;
    }

    /// <summary>
    /// ROC AUC of a classifier's outputs against class-index targets [N]. Two or more outputs per sample are taken as
    /// logits (<paramref name="logits"/>; softmax gives each class's probability) or as probabilities; a single
    /// output per sample is the positive class's score. With two classes this is the binary AUC of class 1; with
    /// more, one-vs-rest: each class against all others, averaged by <paramref name="average"/>
    /// (scikit-learn's <c>roc_auc_score(multi_class="ovr")</c>).
    /// </summary>
    public static double RocAuc(Tensor outputs, Tensor targets, ClassAverage average = ClassAverage.Macro,
        bool logits = true) =>
        OneVsRest(outputs, targets, average, logits, RocAuc);

    /// <summary>
    /// Average precision of a classifier's outputs, binary or one-vs-rest as
    /// <see cref="RocAuc(Tensor, Tensor, ClassAverage, bool)"/>.
    /// </summary>
    public static double AveragePrecision(Tensor outputs, Tensor targets, ClassAverage average = ClassAverage.Macro,
        bool logits = true) =>
        OneVsRest(outputs, targets, average, logits, AveragePrecision);

    private delegate double BinaryScore(ReadOnlySpan<bool> positive, ReadOnlySpan<double> scores);

    private static double OneVsRest(Tensor outputs, Tensor targets, ClassAverage average, bool logits, BinaryScore score)
    {
        var (n, c) = ClassScores.Layout(outputs);
        var labels = ClassScores.Labels(targets, n);
        var o = outputs.Data;
        if (c == 1)
        {
            var raw = new double[n];
            for (int i = 0; i < n; i++) raw[i] = o[i];
            return score([.. labels.Select(l => l == 1)], raw);
        }
        double[] probabilities = logits ? ClassScores.Softmax(o, n, c) : [.. o.ToArray().Select(v => (double)v)];
        var column = new double[n];
        var positive = new bool[n];
        double sum = 0, weights = 0;
        for (int k = c == 2 ? 1 : 0; k < c; k++)
        {
            for (int i = 0; i < n; i++)
            {
                column[i] = probabilities[i * c + k];
                positive[i] = labels[i] == k;
            }
            if (c == 2) return score(positive, column);
            double weight = average == ClassAverage.Macro ? 1 : positive.Count(p => p);
            sum += weight * score(positive, column);
            weights += weight;
        }
        return sum / weights;
    }

    /// <summary>
    /// Cumulative (true positives, false positives) after each distinct score, highest first, with the class totals:
    /// the points of both curves.
    /// </summary>
    private static List<(long Tp, long Fp, long Positives, long Negatives)> ThresholdSteps(ReadOnlySpan<bool> positive,
        ReadOnlySpan<double> scores, string caller)
    {
        if (positive.Length != scores.Length)
            throw new ArgumentException($"Metrics.{caller}: {positive.Length} labels but {scores.Length} scores.");
        int n = scores.Length;
        long positives = 0;
        foreach (bool p in positive)
            if (p) positives++;
        if (positives == 0 || positives == n)
            throw new ArgumentException(
                $"Metrics.{caller}: only one class is present among the {n} samples; the score is undefined " +
                $"without both.");
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = scores.ToArray();
        for (int i = 0; i < n; i++)
            if (double.IsNaN(keys[i])) throw new ArgumentException($"Metrics.{caller}: score {i} is NaN.");
        Array.Sort(keys, order);
        var steps = new List<(long, long, long, long)>();
        long tp = 0, fp = 0;
        for (int j = n - 1; j >= 0; j--)
        {
            if (positive[order[j]]) tp++;
            else fp++;
            // Why only at the last of equal scores: a threshold cannot split tied samples.
            if (j == 0 || keys[j - 1] != keys[j]) steps.Add((tp, fp, positives, n - positives));
        }
        return steps;
    }
}
