namespace Dendrite.Backends.Cpu;

public sealed partial class CpuBackend
{
    public override void CrossEntropyForward(Storage logits, Storage target, bool targetIsProbabilities, int outer, int classes,
        int inner, float labelSmoothing, int ignoreIndex, Storage? classWeights, Storage logp, Storage q, Storage perSample)
    {
        var lp = S(logp);
        var w = Optional(classWeights);
        Cpu.Softmax.Forward(S(logits), outer, classes, inner, lp, log: true);
        var t = S(target);
        var qd = S(q);
        var losses = S(perSample);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                bool ignored = !targetIsProbabilities && t[s] == ignoreIndex;
                double loss = 0;
                for (int k = 0; k < classes; k++)
                {
                    int at = (o * classes + k) * inner + i;
                    if (ignored)
                    {
                        qd[at] = 0f;
                        continue;
                    }
                    float onehot = targetIsProbabilities ? t[at] : (t[s] == k ? 1f : 0f);
                    float qk = (1 - labelSmoothing) * onehot + labelSmoothing / classes;
                    if (classWeights is not null) qk *= w[k];
                    qd[at] = qk;
                    loss -= qk * lp[at];
                }
                losses[s] = (float)loss;
            }
    }

    public override void CrossEntropyBackward(Storage logp, Storage q, Storage target, bool targetIsProbabilities, int outer, int classes,
        int inner, int ignoreIndex, Storage dy, bool perSampleGradient, float scale, Storage dLogits)
    {
        // d/dlogits of −Σ q log softmax = softmax·Σq − q = softmax − q for rows whose q sums to 1 (ignored rows: 0).
        var d = S(dLogits);
        var qd = S(q);
        var lp = S(logp);
        var t = S(target);
        var gy = S(dy);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                float g = perSampleGradient ? gy[s] : gy[0] * scale;
                bool ignored = !targetIsProbabilities && t[s] == ignoreIndex;
                float qSum = 0;
                for (int k = 0; k < classes; k++) qSum += qd[(o * classes + k) * inner + i];
                for (int k = 0; k < classes; k++)
                {
                    int at = (o * classes + k) * inner + i;
                    d[at] = ignored ? 0f : g * (MathF.Exp(lp[at]) * qSum - qd[at]);
                }
            }
    }

    public override void NllForward(Storage input, Storage target, int outer, int classes, int inner, int ignoreIndex,
        Storage? classWeights, Storage perSample)
    {
        var x = S(input);
        var w = Optional(classWeights);
        var t = S(target);
        var losses = S(perSample);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                if (t[s] == ignoreIndex)
                {
                    losses[s] = 0f;
                    continue;
                }
                int k = (int)t[s];
                losses[s] = -(classWeights is null ? 1f : w[k]) * x[(o * classes + k) * inner + i];
            }
    }

    public override void NllBackward(Storage target, int outer, int classes, int inner, int ignoreIndex, Storage? classWeights,
        Storage dy, bool perSampleGradient, float scale, Storage dInput)
    {
        var t = S(target);
        var w = Optional(classWeights);
        var gy = S(dy);
        var d = S(dInput);
        d.Clear();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                if (t[s] == ignoreIndex) continue;
                float g = perSampleGradient ? gy[s] : gy[0] * scale;
                int k = (int)t[s];
                d[(o * classes + k) * inner + i] = -(classWeights is null ? 1f : w[k]) * g;
            }
    }

    public override void BinaryCrossEntropy(Storage p, Storage t, Storage y)
    {
        var ps = S(p);
        var ts = S(t);
        var ys = S(y);
        for (int i = 0; i < ys.Length; i++)
            ys[i] = -(ts[i] * MathF.Max(MathF.Log(ps[i]), -100f) + (1 - ts[i]) * MathF.Max(MathF.Log(1 - ps[i]), -100f));
    }

    public override void BinaryCrossEntropyBackward(Storage p, Storage t, Storage dy, Storage dp, Storage? dt)
    {
        // d/dp = (p − t) / (p(1 − p)), the denominator clamped at 1e-12 as PyTorch's backward does.
        var ps = S(p);
        var ts = S(t);
        var g = S(dy);
        var dps = S(dp);
        var dts = Optional(dt);
        for (int i = 0; i < dps.Length; i++)
        {
            float pi = ps[i];
            dps[i] = g[i] * (pi - ts[i]) / MathF.Max(pi * (1 - pi), 1e-12f);
            if (dt is not null) dts[i] = g[i] * (MathF.Max(MathF.Log(1 - pi), -100f) - MathF.Max(MathF.Log(pi), -100f));
        }
    }

    public override void BinaryCrossEntropyWithLogits(Storage x, Storage t, Storage y)
    {
        var xs = S(x);
        var ts = S(t);
        var ys = S(y);
        for (int i = 0; i < ys.Length; i++)
            ys[i] = MathF.Max(xs[i], 0) - xs[i] * ts[i] + MathF.Log(1 + MathF.Exp(-MathF.Abs(xs[i])));
    }

    public override void BinaryCrossEntropyWithLogitsBackward(Storage x, Storage t, Storage dy, Storage dx, Storage? dt)
    {
        var xs = S(x);
        var ts = S(t);
        var g = S(dy);
        var dxs = S(dx);
        var dts = Optional(dt);
        for (int i = 0; i < dxs.Length; i++)
        {
            dxs[i] = g[i] * (1f / (1f + MathF.Exp(-xs[i])) - ts[i]);
            if (dt is not null) dts[i] = -g[i] * xs[i];
        }
    }

    public override int FindOutside(Storage x, float lo, float hi)
    {
        var xs = S(x);
        for (int i = 0; i < xs.Length; i++)
            if (!(xs[i] >= lo && xs[i] <= hi)) return i;
        return -1;
    }
}
