namespace Dendrite.Training;

/// <summary>
/// Turns classifier outputs and targets into what the metrics take: predicted classes, true classes and, per class,
/// a score that ranks samples (softmax probabilities of [N, C] logits; a single output per sample as it is).
/// </summary>
internal static class ClassScores
{
    /// <summary>Arg-max of each row of [N, C]; for one output per sample, 1 where it is ≥ threshold.</summary>
    public static int[] Predictions(Tensor outputs, float threshold)
    {
        var (n, c) = Layout(outputs);
        var o = outputs.Data;
        var predicted = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (c == 1)
            {
                predicted[i] = o[i] >= threshold ? 1 : 0;
                continue;
            }
            var row = o.Slice(i * c, c);
            int best = 0;
            for (int k = 1; k < c; k++)
                if (row[k] > row[best]) best = k;
            predicted[i] = best;
        }
        return predicted;
    }

    /// <summary>Class indices from targets holding one whole number ≥ 0 per sample.</summary>
    public static int[] Labels(Tensor targets, int n)
    {
        if (targets.Numel != n)
            throw new ShapeMismatchException(
                $"Metrics: expected one class index per sample ({n}), got targets {targets.Shape}.");
        var t = targets.Data;
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = (int)t[i];
            if (labels[i] != t[i] || labels[i] < 0)
                throw new ArgumentException($"Metrics: target {t[i]} of sample {i} is not a class index.");
        }
        return labels;
    }

    /// <summary>(N, C) of outputs [N], [N, 1] or [N, C].</summary>
    public static (int N, int C) Layout(Tensor outputs)
    {
        if (outputs.Rank is < 1 or > 2)
            throw new ShapeMismatchException($"Metrics: expected outputs [N] or [N, C], got {outputs.Shape}.");
        int n = outputs.Shape[0];
        return (n, outputs.Rank == 1 ? 1 : outputs.Shape[1]);
    }

    /// <summary>
    /// Row-wise softmax of [N, C] logits in double, so each column ranks samples by the model's probability for that
    /// class (a raw logit column does not: softmax depends on the other logits of the row).
    /// </summary>
    public static double[] Softmax(ReadOnlySpan<float> logits, int n, int c)
    {
        var p = new double[n * c];
        for (int i = 0; i < n; i++)
        {
            var row = logits.Slice(i * c, c);
            double max = double.NegativeInfinity;
            foreach (float v in row) max = Math.Max(max, v);
            double sum = 0;
            for (int k = 0; k < c; k++) sum += p[i * c + k] = Math.Exp(row[k] - max);
            for (int k = 0; k < c; k++) p[i * c + k] /= sum;
        }
        return p;
    }
}
