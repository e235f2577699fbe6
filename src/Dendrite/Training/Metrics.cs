namespace Dendrite.Training;

/// <summary>Metrics computed from a batch of outputs and targets.</summary>
public static partial class Metrics
{
    /// <summary>
    /// How many predictions are right, choosing the rule from the shapes as Keras' "accuracy" does: outputs [N, C] with
    /// class-index targets [N] or one-hot targets [N, C] compare arg-maxes; a single output per sample ([N] or [N, 1])
    /// is a binary prediction thresholded at 0.5 when every target is 0 or 1. Returns null when no rule fits (regression).
    /// </summary>
    public static int? CorrectCount(Tensor output, Tensor target)
    {
        int n = output.Rank == 0 ? 1 : output.Shape[0];
        if (n == 0) return 0;
        int perSample = output.Numel / n;
        var o = output.Data;
        var t = target.Data;
        int correct = 0;
        if (perSample > 1 && target.Numel == n)
        {
            for (int i = 0; i < n; i++)
                if (ArgMax(o.Slice(i * perSample, perSample)) == (int)t[i]) correct++;
            return correct;
        }
        if (perSample > 1 && target.Shape == output.Shape)
        {
            for (int i = 0; i < n; i++)
                if (ArgMax(o.Slice(i * perSample, perSample)) == ArgMax(t.Slice(i * perSample, perSample))) correct++;
            return correct;
        }
        if (perSample == 1 && target.Numel == n)
        {
            // Why: a single output against targets other than 0 and 1 is regression, where "accuracy" means nothing.
            for (int i = 0; i < n; i++)
                if (t[i] != 0f && t[i] != 1f) return null;
            for (int i = 0; i < n; i++)
                if ((o[i] >= 0.5f) == (t[i] >= 0.5f)) correct++;
            return correct;
        }
        return null;
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++)
            if (row[k] > row[best]) best = k;
        return best;
    }
}
