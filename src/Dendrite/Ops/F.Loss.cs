using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

public static partial class F
{
    private static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        if (input.Shape != target.Shape)
            throw new ShapeMismatchException($"{op}: input and target shapes differ: input {input.Shape}, target {target.Shape}.");
        CheckSameDevice(op, input, target, "input", "target");
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
        var y = Unary(UnaryOp.Huber, d, t, quadraticScale, linearScale);
        return Tape.Record(y, op, [d], dy => [ChainRule(UnaryOp.Huber, dy, d, y, t, quadraticScale, linearScale)]);
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
        CheckSameDevice(nameof(CrossEntropy), input, target, "input", "target");
        bool probabilities = target.Shape == input.Shape;
        int counted = probabilities ? outer * inner : CountClassIndices(nameof(CrossEntropy), input, target, c, ignoreIndex);

        // q[o, k, i]: the target distribution after smoothing; loss = −Σ_k q_k log p_k.
        var backend = input.Backend;
        var logp = Tensor.Empty(input.Shape, input.Device);
        var q = Tensor.Empty(input.Shape, input.Device);
        var sampleShape = ClassSampleShape(input.Shape);
        var perSample = Tensor.Empty(sampleShape, input.Device);
        backend.CrossEntropyForward(input.Storage, target.Storage, probabilities, outer, c, inner, labelSmoothing, ignoreIndex,
            logp.Storage, q.Storage, perSample.Storage);
        float scale = reduction == Reduction.Mean ? 1f / Math.Max(counted, 1) : 1f;
        var y = ReduceSamples(perSample, reduction, scale, counted);
        return Tape.Record(y, nameof(CrossEntropy), [input, target], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            backend.CrossEntropyBackward(logp.Storage, q.Storage, target.Storage, probabilities, outer, c, inner, ignoreIndex, dy.Storage,
                reduction == Reduction.None, scale, dx.Storage);
            Tensor? dTarget = null;
            if (probabilities && target.RequiresGrad) dTarget = Mul(Mul(logp, labelSmoothing - 1), BroadcastTo(ReshapeForClassGrad(dy, reduction, scale, input.Shape), input.Shape));
            return [dx, dTarget];
        });
    }

    /// <summary>
    /// Per-sample losses reduced as asked: the samples themselves, or their sum (times <paramref name="scale"/>, 1/counted
    /// for a mean) taken in double; a mean over no counted sample is NaN, as in PyTorch.
    /// </summary>
    private static Tensor ReduceSamples(Tensor perSample, Reduction reduction, float scale, int counted)
    {
        if (reduction == Reduction.None) return perSample;
        var y = Tensor.Empty(new Shape(), perSample.Device);
        if (counted == 0 && reduction == Reduction.Mean) perSample.Backend.Fill(y.Storage, float.NaN);
        else perSample.Backend.SumAllScaled(perSample.Storage, scale, y.Storage);
        return y;
    }

    /// <summary>dy of a class loss placed on the class axis (size 1) so it broadcasts over classes.</summary>
    private static Tensor ReshapeForClassGrad(Tensor dy, Reduction reduction, float scale, Shape inputShape)
    {
        var kept = inputShape.ToArray();
        kept[inputShape.Rank == 1 ? 0 : 1] = 1;
        if (reduction != Reduction.None) return BroadcastTo(Mul(dy, scale), new Shape(kept));   // dy is a scalar
        return dy.ViewAs(new Shape(kept));
    }

    /// <summary>
    /// Negative log-likelihood over log-probabilities: input [N, C] (or [N, C, d₁, …], or [C]), target class indices;
    /// loss = −input[n, target[n]], as <c>torch.nn.functional.nll_loss</c>.
    /// </summary>
    public static Tensor NLLLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, int ignoreIndex = -100)
    {
        var (outer, c, inner) = ClassLayout(nameof(NLLLoss), input);
        CheckSameDevice(nameof(NLLLoss), input, target, "input", "target");
        int counted = CountClassIndices(nameof(NLLLoss), input, target, c, ignoreIndex);
        var backend = input.Backend;
        var perSample = Tensor.Empty(ClassSampleShape(input.Shape), input.Device);
        backend.NllForward(input.Storage, target.Storage, outer, c, inner, ignoreIndex, perSample.Storage);
        float scale = reduction == Reduction.Mean ? 1f / Math.Max(counted, 1) : 1f;
        var y = ReduceSamples(perSample, reduction, scale, counted);
        return Tape.Record(y, nameof(NLLLoss), [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            backend.NllBackward(target.Storage, outer, c, inner, ignoreIndex, dy.Storage, reduction == Reduction.None, scale, dx.Storage);
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
        int outside = input.Backend.FindOutside(input.Storage, 0f, 1f);
        if (outside >= 0)
            throw new ArgumentOutOfRangeException(nameof(input), $"BCELoss: input values must be probabilities in [0, 1], " +
                $"found {HostValues(input)[outside]} at position {outside}. Hint: use BCEWithLogitsLoss on raw scores.");
        var y = Tensor.Empty(input.Shape, input.Device);
        input.Backend.BinaryCrossEntropy(input.Storage, target.Storage, y.Storage);
        var loss = Tape.Record(y, nameof(BCELoss), [input, target], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            Tensor? dt = target.RequiresGrad ? Tensor.Empty(target.Shape, input.Device) : null;
            input.Backend.BinaryCrossEntropyBackward(input.Storage, target.Storage, dy.Storage, dx.Storage, dt?.Storage);
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
        var y = Tensor.Empty(input.Shape, input.Device);
        input.Backend.BinaryCrossEntropyWithLogits(input.Storage, target.Storage, y.Storage);
        var loss = Tape.Record(y, nameof(BCEWithLogitsLoss), [input, target], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            Tensor? dt = target.RequiresGrad ? Tensor.Empty(target.Shape, input.Device) : null;
            input.Backend.BinaryCrossEntropyWithLogitsBackward(input.Storage, target.Storage, dy.Storage, dx.Storage, dt?.Storage);
            return [dx, dt];
        });
        return Reduce(loss, reduction);
    }

    /// <summary>One-hot encoding of class indices: [..] → [.., numClasses], as <c>torch.nn.functional.one_hot</c>.</summary>
    public static Tensor OneHot(Tensor indices, int numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"OneHot: numClasses must be >= 1, got {numClasses}.");
        var values = HostValues(indices);
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v != MathF.Floor(v) || v < 0 || v >= numClasses)
                throw new ArgumentOutOfRangeException(nameof(indices), $"OneHot: value {v} at position {i} is not a class index in [0, {numClasses}).");
        }
        var y = Tensor.Empty(new Shape([.. indices.Shape, numClasses]), indices.Device);
        indices.Backend.OneHot(indices.Storage, numClasses, y.Storage);
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

    /// <summary>Checks that target holds class indices for input (or the ignore index), and counts those not ignored.</summary>
    private static int CountClassIndices(string op, Tensor input, Tensor target, int c, int ignoreIndex)
    {
        var expected = ClassSampleShape(input.Shape);
        if (target.Shape != expected)
            throw new ShapeMismatchException(
                $"{op}: target shape {target.Shape} does not fit input {input.Shape}: expected class indices of shape {expected}" +
                (input.Rank >= 2 ? $" or class probabilities of shape {input.Shape}." : "."));
        var values = HostValues(target);
        int counted = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v == ignoreIndex) continue;
            if (v != MathF.Floor(v) || v < 0 || v >= c)
                throw new ArgumentOutOfRangeException(nameof(target), $"{op}: target {v} at position {i} is not a class index in [0, {c}).");
            counted++;
        }
        return counted;
    }
}
