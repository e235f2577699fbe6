using System.Globalization;

namespace Dendrite.Training;

/// <summary>
/// Keras' <c>class_weight</c> for any loss that averages over its samples: the batch is split by class, each part's
/// loss is weighted by its class's weight and its share of the batch, so the result is Σᵢ w(yᵢ)·lᵢ / N.
/// </summary>
internal static class ClassWeighting
{
    public static Tensor Loss(LossFunction loss, Tensor output, Tensor target, IReadOnlyDictionary<int, double> weights)
    {
        int n = target.Shape[0];
        if (output.Rank == 0 || output.Shape[0] != n)
            throw new ShapeMismatchException($"Fit: classWeights needs one output row per sample; output {output.Shape}, targets {target.Shape}.");
        var classes = ClassOfEachSample(target);
        Tensor? total = null;
        foreach (var group in Enumerable.Range(0, n).GroupBy(i => classes[i]).OrderBy(g => g.Key))
        {
            int[] rows = [.. group];
            double weight = weights.TryGetValue(group.Key, out double w) ? w : 1.0;
            var part = loss(Rows(output, rows), Rows(target, rows));
            var weighted = F.Mul(part, (float)(weight * rows.Length / n));
            total = total is null ? weighted : F.Add(total, weighted);
        }
        return total ?? loss(output, target);
    }

    /// <summary>Class indices from targets [N] or [N, 1] (whole numbers), or [N, C] one-hot or probabilities (the argmax).</summary>
    private static int[] ClassOfEachSample(Tensor target)
    {
        int n = target.Shape[0];
        int perSample = n == 0 ? 1 : target.Numel / n;
        var t = target.ToArray();
        var classes = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (perSample > 1)
            {
                var row = t.AsSpan(i * perSample, perSample);
                classes[i] = row.IndexOf(RowMax(row));
                continue;
            }
            float v = t[i];
            if (!(v >= 0) || v != MathF.Floor(v))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Fit: classWeights needs class-index targets; sample {i} has target {v}. Hint: a regression model has no classes to weight."));
            classes[i] = (int)v;
        }
        return classes;
    }

    private static float RowMax(ReadOnlySpan<float> row)
    {
        float best = row[0];
        foreach (float v in row) if (v > best) best = v;
        return best;
    }

    /// <summary>The rows of <paramref name="x"/> at <paramref name="rows"/>, differentiable (an embedding lookup).</summary>
    private static Tensor Rows(Tensor x, int[] rows)
    {
        var dims = x.Shape.ToArray();
        int width = x.Numel / Math.Max(1, dims[0]);
        var indices = Tensor.FromArray([.. rows.Select(r => (float)r)], rows.Length).To(x.Device);
        var picked = F.Embedding(indices, F.Reshape(x, dims[0], width));
        dims[0] = rows.Length;
        return F.Reshape(picked, dims);
    }
}
