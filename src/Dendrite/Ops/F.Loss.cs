using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    private static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        if (input.Shape != target.Shape)
            throw new ShapeMismatchException($"{op}: input and target shapes differ: input {input.Shape}, target {target.Shape}.");
    }

    private static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
    {
        Reduction.Mean => Mean(perElement),
        Reduction.Sum => Sum(perElement),
        _ => perElement,
    };

    /// <summary>Mean squared error: (input − target)², reduced.</summary>
    public static Tensor MSELoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(nameof(MSELoss), input, target);
        return Reduce(Pow(Sub(input, target), 2f), reduction);
    }

    /// <summary>Mean absolute error (L1): |input − target|, reduced.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(nameof(L1Loss), input, target);
        return Reduce(Abs(Sub(input, target)), reduction);
    }

    /// <summary>
    /// Smooth L1: with d = input − target, 0.5·d²/β where |d| &lt; β, else |d| − 0.5β (PyTorch's <c>smooth_l1_loss</c>).
    /// </summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, float beta = 1f)
    {
        CheckSameShape(nameof(SmoothL1Loss), input, target);
        if (beta < 0) throw new ArgumentOutOfRangeException(nameof(beta), $"SmoothL1Loss: beta must be >= 0, got {beta}.");
        if (beta == 0) return L1Loss(input, target, reduction);
        return Reduce(PiecewiseQuadratic(nameof(SmoothL1Loss), Sub(input, target), beta, quadraticScale: 1f / beta, linearScale: 1f), reduction);
    }

    /// <summary>Huber: with d = input − target, 0.5·d² where |d| ≤ δ, else δ(|d| − 0.5δ) (PyTorch's <c>huber_loss</c>).</summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, float delta = 1f)
    {
        CheckSameShape(nameof(HuberLoss), input, target);
        if (delta <= 0) throw new ArgumentOutOfRangeException(nameof(delta), $"HuberLoss: delta must be > 0, got {delta}.");
        return Reduce(PiecewiseQuadratic(nameof(HuberLoss), Sub(input, target), delta, quadraticScale: 1f, linearScale: delta), reduction);
    }

    /// <summary>
    /// q·0.5·d² inside |d| &lt; t, l·(|d| − 0.5t) outside: Huber (q = 1, l = δ) and smooth L1 (q = 1/β, l = 1) are both this
    /// curve, continuous with a continuous slope at |d| = t.
    /// </summary>
    private static Tensor PiecewiseQuadratic(string op, Tensor d, float t, float quadraticScale, float linearScale)
    {
        var y = Map(d, (v, o) =>
        {
            for (int i = 0; i < v.Length; i++)
            {
                float a = MathF.Abs(v[i]);
                o[i] = a < t ? 0.5f * quadraticScale * v[i] * v[i] : linearScale * (a - 0.5f * t);
            }
        });
        return Tape.Record(y, op, [d], dy => [ChainRule(dy, d, y, (dv, _) => MathF.Abs(dv) < t ? quadraticScale * dv : linearScale * MathF.Sign(dv))]);
    }

    /// <summary>
    /// Cross-entropy between logits and targets, as <c>torch.nn.functional.cross_entropy</c>: input [N, C] (or [N, C, d₁, …],
    /// or [C]); target either class indices [N] (or [N, d₁, …], or a scalar) held as whole numbers, or class probabilities
    /// shaped like the input. Log-softmax and the negative log-likelihood are fused: backward is softmax − target.
    /// </summary>
    /// <param name="labelSmoothing">ε: the target becomes (1 − ε)·one-hot + ε/C.</param>
    /// <param name="ignoreIndex">Class-index targets equal to this contribute nothing and are left out of the mean.</param>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f, int ignoreIndex = -100)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropy: labelSmoothing must be in [0, 1], got {labelSmoothing}.");
        var (outer, c, inner) = ClassLayout(nameof(CrossEntropy), input);
        bool probabilities = target.Shape == input.Shape;
        int[]? labels = probabilities ? null : ClassIndices(nameof(CrossEntropy), input, target, c, ignoreIndex);

        // q[o, k, i]: the target distribution after smoothing; loss = −Σ_k q_k log p_k.
        var logp = Tensor.Empty(input.Shape);
        Kernels.Softmax.Forward(input.Data, outer, c, inner, logp.Data, log: true);
        var q = Tensor.Zeros(input.Shape);
        var qTarget = q.Data;
        var perSample = new float[outer * inner];
        int counted = 0;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                if (labels is not null && labels[s] == ignoreIndex) continue;
                counted++;
                double loss = 0;
                for (int k = 0; k < c; k++)
                {
                    int at = (o * c + k) * inner + i;
                    float onehot = labels is null ? target.Data[at] : (labels[s] == k ? 1f : 0f);
                    float qk = (1 - labelSmoothing) * onehot + labelSmoothing / c;
                    qTarget[at] = qk;
                    loss -= qk * logp.Data[at];
                }
                perSample[s] = (float)loss;
            }

        var sampleShape = ClassSampleShape(input.Shape);
        float scale = reduction == Reduction.Mean ? 1f / Math.Max(counted, 1) : 1f;
        var y = reduction == Reduction.None
            ? Tensor.FromArray(perSample, sampleShape.ToArray()).ViewAs(sampleShape)
            : Tensor.Scalar(counted == 0 && reduction == Reduction.Mean ? float.NaN : (float)(perSample.Sum(v => (double)v) * scale));
        return Tape.Record(y, nameof(CrossEntropy), [input, target], dy =>
        {
            // d/dlogits of −Σ q log softmax = softmax·Σq − q = softmax − q for rows whose q sums to 1 (ignored rows: 0).
            var dx = Tensor.Empty(input.Shape);
            var d = dx.Data;
            var qd = q.Data;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int s = o * inner + i;
                    float g = reduction == Reduction.None ? dy.Data[s] : dy.Data[0] * scale;
                    bool ignored = labels is not null && labels[s] == ignoreIndex;
                    float qSum = 0;
                    for (int k = 0; k < c; k++) qSum += qd[(o * c + k) * inner + i];
                    for (int k = 0; k < c; k++)
                    {
                        int at = (o * c + k) * inner + i;
                        d[at] = ignored ? 0f : g * (MathF.Exp(logp.Data[at]) * qSum - qd[at]);
                    }
                }
            Tensor? dTarget = null;
            if (probabilities && target.RequiresGrad) dTarget = Mul(Mul(logp, labelSmoothing - 1), BroadcastTo(ReshapeForClassGrad(dy, reduction, scale, input.Shape), input.Shape));
            return [dx, dTarget];
        });
    }

    /// <summary>dy of a class loss placed on the class axis (size 1) so it broadcasts over classes.</summary>
    private static Tensor ReshapeForClassGrad(Tensor dy, Reduction reduction, float scale, Shape inputShape)
    {
        var kept = inputShape.ToArray();
        kept[inputShape.Rank == 1 ? 0 : 1] = 1;
        if (reduction != Reduction.None) return Tensor.Full(new Shape(kept), dy.Item() * scale);
        return dy.ViewAs(new Shape(kept));
    }

    /// <summary>
    /// Negative log-likelihood over log-probabilities: input [N, C] (or [N, C, d₁, …], or [C]), target class indices;
    /// loss = −input[n, target[n]], as <c>torch.nn.functional.nll_loss</c>.
    /// </summary>
    public static Tensor NLLLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, int ignoreIndex = -100)
    {
        var (outer, c, inner) = ClassLayout(nameof(NLLLoss), input);
        int[] labels = ClassIndices(nameof(NLLLoss), input, target, c, ignoreIndex);
        var perSample = new float[outer * inner];
        int counted = 0;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                if (labels[s] == ignoreIndex) continue;
                counted++;
                perSample[s] = -input.Data[(o * c + labels[s]) * inner + i];
            }
        var sampleShape = ClassSampleShape(input.Shape);
        float scale = reduction == Reduction.Mean ? 1f / Math.Max(counted, 1) : 1f;
        var y = reduction == Reduction.None
            ? Tensor.FromArray(perSample, sampleShape.ToArray()).ViewAs(sampleShape)
            : Tensor.Scalar(counted == 0 && reduction == Reduction.Mean ? float.NaN : (float)(perSample.Sum(v => (double)v) * scale));
        return Tape.Record(y, nameof(NLLLoss), [input], dy =>
        {
            var dx = Tensor.Zeros(input.Shape);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int s = o * inner + i;
                    if (labels[s] == ignoreIndex) continue;
                    float g = reduction == Reduction.None ? dy.Data[s] : dy.Data[0] * scale;
                    dx.Data[(o * c + labels[s]) * inner + i] = -g;
                }
            return [dx];
        });
    }

    /// <summary>
    /// Binary cross-entropy over probabilities: −(t·log p + (1 − t)·log(1 − p)), each log clamped at −100 as PyTorch does,
    /// so p = 0 or 1 gives a finite loss.
    /// </summary>
    public static Tensor BCELoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(nameof(BCELoss), input, target);
        foreach (float p in input.Data)
            if (!(p >= 0 && p <= 1))
                throw new ArgumentOutOfRangeException(nameof(input), $"BCELoss: input values must be probabilities in [0, 1], found {p}. Hint: use BCEWithLogitsLoss on raw scores.");
        var y = Tensor.Empty(input.Shape);
        for (int i = 0; i < y.Numel; i++)
        {
            float p = input.Data[i], t = target.Data[i];
            y.Data[i] = -(t * MathF.Max(MathF.Log(p), -100f) + (1 - t) * MathF.Max(MathF.Log(1 - p), -100f));
        }
        var loss = Tape.Record(y, nameof(BCELoss), [input, target], dy =>
        {
            // d/dp = (p − t) / (p(1 − p)), the denominator clamped at 1e-12 as PyTorch's backward does.
            var dx = Tensor.Empty(input.Shape);
            Tensor? dt = target.RequiresGrad ? Tensor.Empty(target.Shape) : null;
            for (int i = 0; i < dx.Numel; i++)
            {
                float p = input.Data[i], t = target.Data[i];
                dx.Data[i] = dy.Data[i] * (p - t) / MathF.Max(p * (1 - p), 1e-12f);
                if (dt is not null) dt.Data[i] = dy.Data[i] * (MathF.Max(MathF.Log(1 - p), -100f) - MathF.Max(MathF.Log(p), -100f));
            }
            return [dx, dt];
        });
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Binary cross-entropy on logits, σ fused in for stability: max(x, 0) − x·t + log(1 + e^(−|x|)). d/dx = σ(x) − t.
    /// </summary>
    public static Tensor BCEWithLogitsLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(nameof(BCEWithLogitsLoss), input, target);
        var y = Tensor.Empty(input.Shape);
        for (int i = 0; i < y.Numel; i++)
        {
            float x = input.Data[i], t = target.Data[i];
            y.Data[i] = MathF.Max(x, 0) - x * t + MathF.Log(1 + MathF.Exp(-MathF.Abs(x)));
        }
        var loss = Tape.Record(y, nameof(BCEWithLogitsLoss), [input, target], dy =>
        {
            var dx = Tensor.Empty(input.Shape);
            Tensor? dt = target.RequiresGrad ? Tensor.Empty(target.Shape) : null;
            for (int i = 0; i < dx.Numel; i++)
            {
                float x = input.Data[i];
                dx.Data[i] = dy.Data[i] * (1f / (1f + MathF.Exp(-x)) - target.Data[i]);
                if (dt is not null) dt.Data[i] = -dy.Data[i] * x;
            }
            return [dx, dt];
        });
        return Reduce(loss, reduction);
    }

    /// <summary>One-hot encoding of class indices: [..] → [.., numClasses], as <c>torch.nn.functional.one_hot</c>.</summary>
    public static Tensor OneHot(Tensor indices, int numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"OneHot: numClasses must be >= 1, got {numClasses}.");
        var y = Tensor.Zeros([.. indices.Shape, numClasses]);
        for (int i = 0; i < indices.Numel; i++)
        {
            float v = indices.Data[i];
            if (v != MathF.Floor(v) || v < 0 || v >= numClasses)
                throw new ArgumentOutOfRangeException(nameof(indices), $"OneHot: value {v} at position {i} is not a class index in [0, {numClasses}).");
            y.Data[i * numClasses + (int)v] = 1f;
        }
        return y;
    }

    /// <summary>The input of a class loss seen as [outer = N, C, inner = d₁·…]; a 1-D input is one sample.</summary>
    private static (int Outer, int C, int Inner) ClassLayout(string op, Tensor input)
    {
        if (input.Rank == 0) throw new ShapeMismatchException($"{op}: input must have a class dimension, got a scalar.");
        if (input.Rank == 1) return (1, input.Shape[0], 1);
        return (input.Shape[0], input.Shape[1], input.Shape.Product(2, input.Rank));
    }

    private static Shape ClassSampleShape(Shape input) =>
        input.Rank == 1 ? new Shape() : new Shape(input.Where((_, i) => i != 1).ToArray());

    private static int[] ClassIndices(string op, Tensor input, Tensor target, int c, int ignoreIndex)
    {
        var expected = ClassSampleShape(input.Shape);
        if (target.Shape != expected)
            throw new ShapeMismatchException(
                $"{op}: target shape {target.Shape} does not fit input {input.Shape}: expected class indices of shape {expected}" +
                (input.Rank >= 2 ? $" or class probabilities of shape {input.Shape}." : "."));
        var labels = new int[target.Numel];
        for (int i = 0; i < labels.Length; i++)
        {
            float v = target.Data[i];
            if (v == ignoreIndex) { labels[i] = ignoreIndex; continue; }
            if (v != MathF.Floor(v) || v < 0 || v >= c)
                throw new ArgumentOutOfRangeException(nameof(target), $"{op}: target {v} at position {i} is not a class index in [0, {c}).");
            labels[i] = (int)v;
        }
        return labels;
    }
}
