using System.Globalization;
using System.Text;

namespace Dendrite.Training;

/// <summary>How per-class scores are averaged, as scikit-learn's <c>average</c> argument.</summary>
public enum ClassAverage
{
    /// <summary>The unweighted mean over classes: every class counts the same, however rare.</summary>
    Macro,

    /// <summary>The mean over classes weighted by their support (true samples of the class).</summary>
    Weighted,
}

/// <summary>
/// Counts of (true class, predicted class) pairs, rows true and columns predicted as scikit-learn's
/// <c>confusion_matrix</c>, with the scores a study reports from it: accuracy, and per-class precision, recall and F1
/// with their macro and weighted means (scikit-learn's <c>precision_recall_fscore_support</c>; a score whose
/// denominator is 0 is 0, its <c>zero_division</c> default). <see cref="ToString"/> prints the matrix and a report
/// like <c>classification_report</c>.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <param name="actual">The true class of each sample, in [0, classNames.Count).</param>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <exception cref="ArgumentException">The lists differ in length or hold a class outside the names.</exception>
    public ConfusionMatrix(IReadOnlyList<int> actual, IReadOnlyList<int> predicted, IReadOnlyList<string> classNames)
    {
        if (actual.Count != predicted.Count)
            throw new ArgumentException(
                $"ConfusionMatrix: {actual.Count} true classes but {predicted.Count} predictions.");
        ClassNames = [.. classNames];
        int c = ClassNames.Count;
        _counts = new long[c, c];
        for (int i = 0; i < actual.Count; i++)
        {
            if ((uint)actual[i] >= (uint)c || (uint)predicted[i] >= (uint)c)
                throw new ArgumentException(
                    $"ConfusionMatrix: sample {i} has true class {actual[i]} and prediction {predicted[i]}; " +
                    $"classes are 0 … {c - 1}.");
            _counts[actual[i], predicted[i]]++;
        }
        Total = actual.Count;
    }

    /// <summary>A matrix over classes named "0", "1", … up to the largest class seen.</summary>
    public ConfusionMatrix(IReadOnlyList<int> actual, IReadOnlyList<int> predicted)
        : this(actual, predicted, IndexNames(Math.Max(actual.DefaultIfEmpty(-1).Max(), predicted.DefaultIfEmpty(-1).Max()) + 1))
    {
    }

    /// <summary>
    /// The matrix of a classifier's outputs: [N, C] scores (the arg-max is the prediction) or [N]/[N, 1] binary
    /// scores thresholded at <paramref name="threshold"/> (0.5 for probabilities, 0 for logits), against class-index
    /// targets [N].
    /// </summary>
    public static ConfusionMatrix FromOutputs(Tensor outputs, Tensor targets, IReadOnlyList<string> classNames,
        float threshold = 0.5f)
    {
        var predicted = ClassScores.Predictions(outputs, threshold);
        return new ConfusionMatrix(ClassScores.Labels(targets, predicted.Length), predicted, classNames);
    }

    public IReadOnlyList<string> ClassNames { get; }

    public int Classes => ClassNames.Count;

    /// <summary>Samples counted.</summary>
    public long Total { get; }

    /// <summary>Samples of true class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>Fraction of samples on the diagonal.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Enumerable.Range(0, Classes).Sum(k => _counts[k, k]) / Total;

    /// <summary>True samples of class <paramref name="k"/>.</summary>
    public long Support(int k) => Enumerable.Range(0, Classes).Sum(j => _counts[k, j]);

    /// <summary>Of the samples predicted as <paramref name="k"/>, the fraction that are k: TP / (TP + FP).</summary>
    public double Precision(int k) => Ratio(_counts[k, k], Enumerable.Range(0, Classes).Sum(j => _counts[j, k]));

    /// <summary>Of the samples of class <paramref name="k"/>, the fraction predicted as k: TP / (TP + FN).</summary>
    public double Recall(int k) => Ratio(_counts[k, k], Support(k));

    /// <summary>The harmonic mean of precision and recall, 2PR / (P + R).</summary>
    public double F1(int k)
    {
        double p = Precision(k), r = Recall(k);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double Precision(ClassAverage average) => Average(Precision, average);
    public double Recall(ClassAverage average) => Average(Recall, average);
    public double F1(ClassAverage average) => Average(F1, average);

    private double Average(Func<int, double> score, ClassAverage average) => average switch
    {
        ClassAverage.Macro => Classes == 0 ? 0 : Enumerable.Range(0, Classes).Average(score),
        _ => Total == 0 ? 0 : Enumerable.Range(0, Classes).Sum(k => score(k) * Support(k)) / Total,
    };

    private static string[] IndexNames(int classes) =>
        [.. Enumerable.Range(0, classes).Select(k => k.ToString(CultureInfo.InvariantCulture))];

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    /// <summary>
    /// The matrix (rows true, columns predicted), then precision, recall, F1 and support per class and averaged.
    /// </summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        int nameWidth = Math.Max(18, ClassNames.Max(n => n.Length) + 2);
        int cell = Math.Max(7, Math.Max(ClassNames.Max(n => n.Length), Total.ToString(inv).Length) + 2);
        var sb = new StringBuilder();
        sb.Append("true \\ predicted".PadRight(nameWidth));
        foreach (var name in ClassNames) sb.Append(name.PadLeft(cell));
        sb.Append('\n');
        for (int a = 0; a < Classes; a++)
        {
            sb.Append(ClassNames[a].PadRight(nameWidth));
            for (int p = 0; p < Classes; p++) sb.Append(_counts[a, p].ToString(inv).PadLeft(cell));
            sb.Append('\n');
        }
        sb.Append('\n').Append("".PadRight(nameWidth)).Append("precision".PadLeft(11)).Append("recall".PadLeft(9))
          .Append("f1".PadLeft(9)).Append("support".PadLeft(9)).Append('\n');
        string Score(double value, int width) => value.ToString("0.0000", inv).PadLeft(width);
        void Row(string name, double p, double r, double f, long support) =>
            sb.Append(name.PadRight(nameWidth)).Append(Score(p, 11)).Append(Score(r, 9)).Append(Score(f, 9))
              .Append(support.ToString(inv).PadLeft(9)).Append('\n');
        for (int k = 0; k < Classes; k++) Row(ClassNames[k], Precision(k), Recall(k), F1(k), Support(k));
        Row("macro avg", Precision(ClassAverage.Macro), Recall(ClassAverage.Macro), F1(ClassAverage.Macro), Total);
        var weighted = ClassAverage.Weighted;
        Row("weighted avg", Precision(weighted), Recall(weighted), F1(weighted), Total);
        sb.Append("accuracy".PadRight(nameWidth)).Append(Score(Accuracy, 29)).Append(Total.ToString(inv).PadLeft(9));
        return sb.ToString();
    }
}
