namespace Dendrite.Training;

public static partial class Metrics
{
    /// <summary>Mean absolute error, mean |y − ŷ| (scikit-learn's <c>mean_absolute_error</c>).</summary>
    public static double MeanAbsoluteError(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        CheckPairs(actual, predicted, nameof(MeanAbsoluteError));
        double sum = 0;
        for (int i = 0; i < actual.Length; i++) sum += Math.Abs((double)actual[i] - predicted[i]);
        return sum / actual.Length;
    }

    /// <summary>Root of the mean squared error, √(mean (y − ŷ)²), in the target's units.</summary>
    public static double RootMeanSquaredError(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        CheckPairs(actual, predicted, nameof(RootMeanSquaredError));
        return Math.Sqrt(SumSquaredError(actual, predicted) / actual.Length);
    }

    /// <summary>
    /// The coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², as scikit-learn's <c>r2_score</c>: 1 is
    /// perfect, 0 is no better than predicting the mean, and it can be negative. For constant targets, where the
    /// ratio is undefined, it is 1 if the predictions are perfect and 0 otherwise (scikit-learn's force_finite).
    /// </summary>
    public static double R2Score(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        CheckPairs(actual, predicted, nameof(R2Score));
        double mean = 0;
        foreach (float y in actual) mean += y;
        mean /= actual.Length;
        double total = 0;
        foreach (float y in actual) total += (y - mean) * (y - mean);
        double residual = SumSquaredError(actual, predicted);
        if (total == 0) return residual == 0 ? 1 : 0;
        return 1 - residual / total;
    }

    private static double SumSquaredError(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = (double)actual[i] - predicted[i];
            sum += d * d;
        }
        return sum;
    }

    private static void CheckPairs(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted, string caller)
    {
        if (actual.Length != predicted.Length)
            throw new ShapeMismatchException(
                $"Metrics.{caller}: {actual.Length} targets but {predicted.Length} predictions.");
        if (actual.Length == 0) throw new ArgumentException($"Metrics.{caller}: needs at least one sample.");
    }
}
