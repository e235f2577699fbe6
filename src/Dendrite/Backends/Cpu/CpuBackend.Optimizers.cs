using System.Numerics;

namespace Dendrite.Backends.Cpu;

public sealed partial class CpuBackend
{
    // 64K elements (256 KB of each buffer) per slice: large enough that a slice outweighs the fork-join.
    private const int AdamChunk = 1 << 16;

    public override void SgdUpdate(Storage p, Storage grad, Storage? momentumBuffer, float lr, float weightDecay, float momentum,
        float dampening, bool nesterov, bool firstMomentumStep)
    {
        var ps = S(p);
        var g = S(grad);
        if (momentumBuffer is null)
        {
            for (int i = 0; i < ps.Length; i++) ps[i] -= lr * (g[i] + weightDecay * ps[i]);
            return;
        }
        var buf = S(momentumBuffer);
        for (int i = 0; i < ps.Length; i++)
        {
            float gi = g[i] + weightDecay * ps[i];
            buf[i] = firstMomentumStep ? gi : momentum * buf[i] + (1 - dampening) * gi;
            gi = nesterov ? gi + momentum * buf[i] : buf[i];
            ps[i] -= lr * gi;
        }
    }

    public override void AdamUpdate(Storage p, Storage grad, Storage m, Storage v, Storage? vMax, float lr, float weightDecay,
        bool decoupled, float beta1, float beta2, float eps, int step)
    {
        var rule = new AdamRule(lr, weightDecay, decoupled, beta1, beta2, eps, step);
        int length = p.Length;
        if (length >= 2 * AdamChunk && Threading.NumThreads > 1)
        {
            // Each element's update reads only its own state, so the split changes no bit.
            var (cp, cg, cm, cv, cMax) = ((CpuStorage)p, (CpuStorage)grad, (CpuStorage)m, (CpuStorage)v, (CpuStorage?)vMax);
            Threading.For((length + AdamChunk - 1) / AdamChunk, c =>
            {
                int offset = c * AdamChunk, count = Math.Min(AdamChunk, length - offset);
                rule.Apply(cp.Span.Slice(offset, count), cg.Span.Slice(offset, count), cm.Span.Slice(offset, count),
                    cv.Span.Slice(offset, count), cMax is null ? default : cMax.Span.Slice(offset, count));
            });
            return;
        }
        rule.Apply(S(p), S(grad), S(m), S(v), Optional(vMax));
    }

    /// <summary>One Adam step's constants, applied to any slice of a parameter and its state.</summary>
    private readonly struct AdamRule(float lr, float weightDecay, bool decoupled, float beta1, float beta2, float eps, int step)
    {
        private readonly float _shrink = 1 - lr * weightDecay;
        private readonly float _l2 = decoupled ? 0f : weightDecay;
        private readonly float _biasCorrection2Sqrt = MathF.Sqrt(1 - MathF.Pow(beta2, step));
        private readonly float _stepSize = lr / (1 - MathF.Pow(beta1, step));

        public void Apply(Span<float> p, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> vMax)
        {
            float b1 = beta1, b2 = beta2, l2 = _l2, stepSize = _stepSize, bc2 = _biasCorrection2Sqrt;
            bool amsgrad = !vMax.IsEmpty;
            if (decoupled && weightDecay != 0)
                for (int i = 0; i < p.Length; i++) p[i] *= _shrink;
            int i0 = 0;
            if (vMax.IsEmpty && Vector.IsHardwareAccelerated)
            {
                // Same arithmetic as the scalar loop below, lane by lane.
                int w = Vector<float>.Count;
                var vb1 = new Vector<float>(b1);
                var vb1c = new Vector<float>(1 - b1);
                var vb2 = new Vector<float>(b2);
                var vb2c = new Vector<float>(1 - b2);
                var vl2 = new Vector<float>(l2);
                var vbc2 = new Vector<float>(bc2);
                var veps = new Vector<float>(eps);
                var vstep = new Vector<float>(stepSize);
                for (; i0 + w <= p.Length; i0 += w)
                {
                    var pv = new Vector<float>(p[i0..]);
                    var g = new Vector<float>(grad[i0..]) + vl2 * pv;
                    var mv = vb1 * new Vector<float>(m[i0..]) + vb1c * g;
                    var vv = vb2 * new Vector<float>(v[i0..]) + vb2c * g * g;
                    mv.CopyTo(m[i0..]);
                    vv.CopyTo(v[i0..]);
                    (pv - vstep * mv / (Vector.SquareRoot(vv) / vbc2 + veps)).CopyTo(p[i0..]);
                }
            }
            for (int i = i0; i < p.Length; i++)
            {
                float g = grad[i] + l2 * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                float vHat = v[i];
                if (amsgrad) vHat = vMax[i] = MathF.Max(vMax[i], v[i]);
                p[i] -= stepSize * m[i] / (MathF.Sqrt(vHat) / bc2 + eps);
            }
        }
    }

    public override void RmsPropUpdate(Storage p, Storage grad, Storage squareAverage, Storage? momentumBuffer, Storage? gradAverage,
        float lr, float weightDecay, float alpha, float eps, float momentum)
    {
        var ps = S(p);
        var gs = S(grad);
        var v = S(squareAverage);
        var buf = Optional(momentumBuffer);
        var gAvg = Optional(gradAverage);
        bool centered = gradAverage is not null;
        for (int i = 0; i < ps.Length; i++)
        {
            float g = gs[i] + weightDecay * ps[i];
            v[i] = alpha * v[i] + (1 - alpha) * g * g;
            float avg = v[i];
            if (centered)
            {
                gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g;
                avg -= gAvg[i] * gAvg[i];
            }
            float denom = MathF.Sqrt(avg) + eps;
            if (momentum > 0)
            {
                buf[i] = momentum * buf[i] + g / denom;
                ps[i] -= lr * buf[i];
            }
            else
            {
                ps[i] -= lr * g / denom;
            }
        }
    }

    public override void AdagradUpdate(Storage p, Storage grad, Storage sum, float lr, float weightDecay, float lrDecay, float eps, int step)
    {
        float clr = lr / (1 + (step - 1) * lrDecay);
        var ps = S(p);
        var gs = S(grad);
        var acc = S(sum);
        for (int i = 0; i < ps.Length; i++)
        {
            float g = gs[i] + weightDecay * ps[i];
            acc[i] += g * g;
            ps[i] -= clr * g / (MathF.Sqrt(acc[i]) + eps);
        }
    }

    public override void AdadeltaUpdate(Storage p, Storage grad, Storage squareAverage, Storage accumulatedDelta, float lr,
        float weightDecay, float rho, float eps)
    {
        var ps = S(p);
        var gs = S(grad);
        var v = S(squareAverage);
        var u = S(accumulatedDelta);
        for (int i = 0; i < ps.Length; i++)
        {
            float g = gs[i] + weightDecay * ps[i];
            v[i] = rho * v[i] + (1 - rho) * g * g;
            float delta = MathF.Sqrt(u[i] + eps) / MathF.Sqrt(v[i] + eps) * g;
            u[i] = rho * u[i] + (1 - rho) * delta * delta;
            ps[i] -= lr * delta;
        }
    }

    public override void MovingAverageUpdate(Storage average, Storage value, float decay)
    {
        float keep = decay, take = 1f - decay;
        var avg = S(average);
        var now = S(value);
        for (int j = 0; j < avg.Length; j++) avg[j] = keep * avg[j] + take * now[j];
    }
}
