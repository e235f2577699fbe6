namespace Dendrite.Backends.Reference;

/// <remarks>Layouts: logits and log-probabilities [outer, classes, inner]; targets and losses [outer, inner].</remarks>
public sealed partial class ReferenceBackend
{
    public override void CrossEntropyForward(Storage logits, Storage target, bool targetIsProbabilities, int outer,
        int classes, int inner, float labelSmoothing, int ignoreIndex, Storage? classWeights, Storage logp, Storage q,
        Storage perSample)
    {
        Softmax(logits, outer, classes, inner, logp, log: true);
        var lp = Values(logp);
        var t = Values(target);
        var qs = Values(q);
        var losses = Values(perSample);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int sample = o * inner + i;
                bool ignored = !targetIsProbabilities && t[sample] == ignoreIndex;
                double loss = 0;
                for (int k = 0; k < classes; k++)
                {
                    int at = (o * classes + k) * inner + i;
                    double given = targetIsProbabilities ? t[at] : (t[sample] == k ? 1 : 0);
                    double weight = classWeights is null ? 1 : Values(classWeights)[k];
                    float qk = ignored ? 0f : (float)(weight * ((1 - labelSmoothing) * given + (double)labelSmoothing / classes));
                    qs[at] = qk;
                    if (!ignored) loss -= qk * (double)lp[at];
                }
                losses[sample] = (float)loss;
            }
    }

    public override void CrossEntropyBackward(Storage logp, Storage q, Storage target, bool targetIsProbabilities,
        int outer,
        int classes, int inner, int ignoreIndex, Storage dy, bool perSampleGradient, float scale, Storage dLogits)
    {
        // d/dz of −Σ_k q_k·log softmax(z)_k = softmax(z)·Σq − q.
        var lp = Values(logp);
        var qs = Values(q);
        var t = Values(target);
        var d = Values(dLogits);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int sample = o * inner + i;
                bool ignored = !targetIsProbabilities && t[sample] == ignoreIndex;
                double g = SampleGradient(dy, sample, perSampleGradient, scale);
                double qSum = 0;
                for (int k = 0; k < classes; k++) qSum += qs[(o * classes + k) * inner + i];
                for (int k = 0; k < classes; k++)
                {
                    int at = (o * classes + k) * inner + i;
                    d[at] = ignored ? 0f : (float)(g * (Math.Exp(lp[at]) * qSum - qs[at]));
                }
            }
    }

    /// <summary>One sample's loss gradient: its own, or the reduced loss's times the reduction's scale.</summary>
    private static double SampleGradient(Storage dy, int sample, bool perSampleGradient, float scale) =>
        perSampleGradient ? Values(dy)[sample] : Values(dy)[0] * scale;

    public override void NllForward(Storage input, Storage target, int outer, int classes, int inner, int ignoreIndex,
        Storage? classWeights, Storage perSample)
    {
        var x = Values(input);
        var t = Values(target);
        var losses = Values(perSample);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int sample = o * inner + i;
                losses[sample] = t[sample] == ignoreIndex
                    ? 0f
                    : (float)(-ClassWeight(classWeights, (int)t[sample]) * x[(o * classes + (int)t[sample]) * inner + i]);
            }
    }

    public override void NllBackward(Storage target, int outer, int classes, int inner, int ignoreIndex, Storage? classWeights,
        Storage dy, bool perSampleGradient, float scale, Storage dInput)
    {
        var t = Values(target);
        var d = Values(dInput);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int sample = o * inner + i;
                bool ignored = t[sample] == ignoreIndex;
                for (int k = 0; k < classes; k++)
                {
                    bool hit = !ignored && (int)t[sample] == k;
                    double g = SampleGradient(dy, sample, perSampleGradient, scale);
                    d[(o * classes + k) * inner + i] = hit ? (float)(-ClassWeight(classWeights, k) * g) : 0f;
                }
            }
    }

    private static double ClassWeight(Storage? classWeights, int k) => classWeights is null ? 1 : Values(classWeights)[k];

    /// <summary>log v clamped below at −100, as PyTorch's binary cross-entropy clamps it.</summary>
    private static double ClampedLog(double v) => Math.Max(Math.Log(v), -100);

    public override void BinaryCrossEntropy(Storage p, Storage t, Storage y)
    {
        var ps = Values(p);
        var ts = Values(t);
        var ys = Values(y);
        for (int i = 0; i < ys.Length; i++)
            ys[i] = (float)-(ts[i] * ClampedLog(ps[i]) + (1 - (double)ts[i]) * ClampedLog(1 - (double)ps[i]));
    }

    public override void BinaryCrossEntropyBackward(Storage p, Storage t, Storage dy, Storage dp, Storage? dt)
    {
        var ps = Values(p);
        var ts = Values(t);
        var g = Values(dy);
        for (int i = 0; i < ps.Length; i++)
        {
            double pi = ps[i];
            Values(dp)[i] = (float)(g[i] * (pi - ts[i]) / Math.Max(pi * (1 - pi), 1e-12));
            if (dt is not null) Values(dt)[i] = (float)(g[i] * (ClampedLog(1 - pi) - ClampedLog(pi)));
        }
    }

    public override void BinaryCrossEntropyWithLogits(Storage x, Storage t, Storage y)
    {
        var xs = Values(x);
        var ts = Values(t);
        var ys = Values(y);
        for (int i = 0; i < ys.Length; i++)
        {
            // −(t·log σ(x) + (1 − t)·log(1 − σ(x))), rearranged so that no exponent is positive.
            double v = xs[i];
            ys[i] = (float)(Math.Max(v, 0) - v * ts[i] + Math.Log(1 + Math.Exp(-Math.Abs(v))));
        }
    }

    public override void BinaryCrossEntropyWithLogitsBackward(Storage x, Storage t, Storage dy, Storage dx, Storage? dt)
    {
        var xs = Values(x);
        var ts = Values(t);
        var g = Values(dy);
        for (int i = 0; i < xs.Length; i++)
        {
            Values(dx)[i] = (float)(g[i] * (Sigmoid(xs[i]) - ts[i]));
            if (dt is not null) Values(dt)[i] = -g[i] * xs[i];
        }
    }

    public override int FindOutside(Storage x, float lo, float hi)
    {
        var xs = Values(x);
        for (int i = 0; i < xs.Length; i++)
            if (float.IsNaN(xs[i]) || xs[i] < lo || xs[i] > hi) return i;
        return -1;
    }
}
