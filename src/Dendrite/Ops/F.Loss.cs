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

    /// <summary>Batch mean is KL divergence's alone, as in PyTorch; every other loss refuses it before computing anything.</summary>
    private static void CheckReduction(string op, Reduction reduction)
    {
        if (reduction == Reduction.BatchMean)
            throw new ArgumentException($"{op}: reduction BatchMean is only defined for KLDivLoss; use Mean, Sum or None.", nameof(reduction));
        if (!Enum.IsDefined(reduction))
            throw new ArgumentOutOfRangeException(nameof(reduction), $"{op}: unknown reduction {(int)reduction}.");
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
        CheckReduction(nameof(MSELoss), reduction);
        return Reduce(Pow(Sub(input, target), 2f), reduction);
    }

    /// <summary>Mean absolute error (L1): |input − target|, reduced.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape(nameof(L1Loss), input, target);
        CheckReduction(nameof(L1Loss), reduction);
        return Reduce(Abs(Sub(input, target)), reduction);
    }

    /// <summary>
    /// Smooth L1: with d = input − target, 0.5·d²/β where |d| &lt; β, else |d| − 0.5β (PyTorch's <c>smooth_l1_loss</c>).
    /// </summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, float beta = 1f)
    {
        CheckSameShape(nameof(SmoothL1Loss), input, target);
        CheckReduction(nameof(SmoothL1Loss), reduction);
        if (beta < 0) throw new ArgumentOutOfRangeException(nameof(beta), $"SmoothL1Loss: beta must be >= 0, got {beta}.");
        if (beta == 0) return L1Loss(input, target, reduction);
        return Reduce(PiecewiseQuadratic(nameof(SmoothL1Loss), Sub(input, target), beta, quadraticScale: 1f / beta, linearScale: 1f), reduction);
    }

    /// <summary>Huber: with d = input − target, 0.5·d² where |d| ≤ δ, else δ(|d| − 0.5δ) (PyTorch's <c>huber_loss</c>).</summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, float delta = 1f)
    {
        CheckSameShape(nameof(HuberLoss), input, target);
        CheckReduction(nameof(HuberLoss), reduction);
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
    /// <param name="weight">
    /// Per-class weights [C] (PyTorch's <c>weight</c>): class k's term of each sample's loss is scaled by weight[k]. With
    /// class indices the mean divides by the summed weights of the (non-ignored) targets, Σₙ weight[targetₙ], not by
    /// their count; with probabilities it divides by the number of samples, as PyTorch does.
    /// </param>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f, int ignoreIndex = -100, Tensor? weight = null)
    {
        CheckReduction(nameof(CrossEntropy), reduction);
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropy: labelSmoothing must be in [0, 1], got {labelSmoothing}.");
        var (outer, c, inner) = ClassLayout(nameof(CrossEntropy), input);
        CheckSameDevice(nameof(CrossEntropy), input, target, "input", "target");
        var classWeights = ClassWeights(nameof(CrossEntropy), input, weight, c);
        bool probabilities = target.Shape == input.Shape;
        var (counted, divisor) = probabilities
            ? (outer * inner, outer * inner)
            : CountClassIndices(nameof(CrossEntropy), input, target, c, ignoreIndex, classWeights);

        // q[o, k, i]: the target distribution after smoothing, times the class weights; loss = −Σ_k q_k log p_k.
        var backend = input.Backend;
        var logp = Tensor.Empty(input.Shape, input.Device);
        var q = Tensor.Empty(input.Shape, input.Device);
        var sampleShape = ClassSampleShape(input.Shape);
        var perSample = Tensor.Empty(sampleShape, input.Device);
        backend.CrossEntropyForward(input.Storage, target.Storage, probabilities, outer, c, inner, labelSmoothing, ignoreIndex,
            weight?.Storage, logp.Storage, q.Storage, perSample.Storage);
        float scale = MeanScale(reduction, divisor);
        var y = ReduceSamples(perSample, reduction, scale, counted, divisor);
        return Tape.Record(y, nameof(CrossEntropy), [input, target], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            backend.CrossEntropyBackward(logp.Storage, q.Storage, target.Storage, probabilities, outer, c, inner, ignoreIndex, dy.Storage,
                reduction == Reduction.None, scale, dx.Storage);
            Tensor? dTarget = null;
            if (probabilities && target.RequiresGrad)
            {
                // d/dp_k of −Σ w_k((1 − ε)p_k + ε/C)·log q_k = −(1 − ε)·w_k·log q_k.
                dTarget = Mul(Mul(logp, labelSmoothing - 1), BroadcastTo(ReshapeForClassGrad(dy, reduction, scale, input.Shape), input.Shape));
                if (weight is not null) dTarget = Mul(dTarget, weight.ViewAs(ClassAxisShape(input.Shape)));
            }
            return [dx, dTarget];
        });
    }

    /// <summary>1/divisor for a mean (1 when the divisor is 0: the loss is NaN then, its gradient left finite), else 1.</summary>
    private static float MeanScale(Reduction reduction, double divisor) =>
        reduction == Reduction.Mean && divisor != 0 ? (float)(1 / divisor) : 1f;

    /// <summary>
    /// Checks class weights for a class loss over <paramref name="c"/> classes: one value per class, on the input's
    /// device; returns their values on the host (for the weighted mean's divisor), or null without weights.
    /// </summary>
    private static float[]? ClassWeights(string op, Tensor input, Tensor? weight, int c)
    {
        if (weight is null) return null;
        if (weight.Rank != 1 || weight.Shape[0] != c)
            throw new ShapeMismatchException($"{op}: weight must hold one value per class, shape [{c}] for input {input.Shape}, got {weight.Shape}.");
        CheckSameDevice(op, input, weight, "input", "weight");
        return HostValues(weight);
    }

    /// <summary>[1, C, 1, …] (or [C] for a 1-D input): per-class values placed to broadcast over a class loss's input.</summary>
    private static Shape ClassAxisShape(Shape inputShape)
    {
        var dims = Enumerable.Repeat(1, inputShape.Rank).ToArray();
        int axis = inputShape.Rank == 1 ? 0 : 1;
        dims[axis] = inputShape[axis];
        return new Shape(dims);
    }

    /// <summary>
    /// Per-sample losses reduced as asked: the samples themselves, or their sum (times <paramref name="scale"/>,
    /// 1/divisor for a mean) taken in double; a mean over no counted sample, or over targets whose weights sum to 0, is
    /// NaN (0/0), as in PyTorch.
    /// </summary>
    private static Tensor ReduceSamples(Tensor perSample, Reduction reduction, float scale, int counted, double divisor)
    {
        if (reduction == Reduction.None) return perSample;
        var y = Tensor.Empty(new Shape(), perSample.Device);
        if ((counted == 0 || divisor == 0) && reduction == Reduction.Mean) perSample.Backend.Fill(y.Storage, float.NaN);
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
    /// loss = −weight[target]·input[n, target[n]], as <c>torch.nn.functional.nll_loss</c>.
    /// </summary>
    /// <param name="weight">
    /// Per-class weights [C] (1 when null); the mean then divides by Σₙ weight[targetₙ] over the non-ignored targets.
    /// </param>
    public static Tensor NLLLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, int ignoreIndex = -100,
        Tensor? weight = null)
    {
        CheckReduction(nameof(NLLLoss), reduction);
        var (outer, c, inner) = ClassLayout(nameof(NLLLoss), input);
        CheckSameDevice(nameof(NLLLoss), input, target, "input", "target");
        var classWeights = ClassWeights(nameof(NLLLoss), input, weight, c);
        var (counted, divisor) = CountClassIndices(nameof(NLLLoss), input, target, c, ignoreIndex, classWeights);
        var backend = input.Backend;
        var perSample = Tensor.Empty(ClassSampleShape(input.Shape), input.Device);
        backend.NllForward(input.Storage, target.Storage, outer, c, inner, ignoreIndex, weight?.Storage, perSample.Storage);
        float scale = MeanScale(reduction, divisor);
        var y = ReduceSamples(perSample, reduction, scale, counted, divisor);
        return Tape.Record(y, nameof(NLLLoss), [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            backend.NllBackward(target.Storage, outer, c, inner, ignoreIndex, weight?.Storage, dy.Storage, reduction == Reduction.None,
                scale, dx.Storage);
            return [dx];
        });
    }

    /// <summary>
    /// Binary cross-entropy over probabilities: −w·(t·log p + (1 − t)·log(1 − p)), each log clamped at −100 as PyTorch
    /// does, so p = 0 or 1 gives a finite loss.
    /// </summary>
    /// <param name="weight">
    /// PyTorch's <c>weight</c>: a rescaling of each element's loss, broadcast to the input's shape (a per-sample [N, 1]
    /// or per-output [C] tensor, for example). The mean still divides by the number of elements.
    /// </param>
    public static Tensor BCELoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null)
    {
        CheckSameShape(nameof(BCELoss), input, target);
        CheckReduction(nameof(BCELoss), reduction);
        CheckBroadcastsTo(nameof(BCELoss), "weight", weight, input);
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
        return Reduce(weight is null ? loss : Mul(loss, weight), reduction);
    }

    /// <summary>
    /// Binary cross-entropy on logits, σ fused in for stability: max(x, 0) − x·t + log(1 + e^(−|x|)). d/dx = σ(x) − t.
    /// </summary>
    /// <param name="weight">A rescaling of each element's loss, broadcast to the input's shape, as in <see cref="BCELoss"/>.</param>
    /// <param name="posWeight">
    /// PyTorch's <c>pos_weight</c>: the weight p of the positive term, −w·(p·t·log σ(x) + (1 − t)·log(1 − σ(x))),
    /// broadcast to the input's shape (shape [C] weighs each class of the last dimension; p &gt; 1 raises recall).
    /// Computed as (1 − t)·x + (1 + (p − 1)·t)·softplus(−x), with softplus in its stable form, so no logit overflows.
    /// </param>
    public static Tensor BCEWithLogitsLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null,
        Tensor? posWeight = null)
    {
        CheckSameShape(nameof(BCEWithLogitsLoss), input, target);
        CheckReduction(nameof(BCEWithLogitsLoss), reduction);
        CheckBroadcastsTo(nameof(BCEWithLogitsLoss), "weight", weight, input);
        CheckBroadcastsTo(nameof(BCEWithLogitsLoss), "posWeight", posWeight, input);
        Tensor loss;
        if (posWeight is null)
        {
            var y = Tensor.Empty(input.Shape, input.Device);
            input.Backend.BinaryCrossEntropyWithLogits(input.Storage, target.Storage, y.Storage);
            loss = Tape.Record(y, nameof(BCEWithLogitsLoss), [input, target], dy =>
            {
                var dx = Tensor.Empty(input.Shape, input.Device);
                Tensor? dt = target.RequiresGrad ? Tensor.Empty(target.Shape, input.Device) : null;
                input.Backend.BinaryCrossEntropyWithLogitsBackward(input.Storage, target.Storage, dy.Storage, dx.Storage, dt?.Storage);
                return [dx, dt];
            });
        }
        else
        {
            // PyTorch's form: −log σ(x) = softplus(−x) and −log(1 − σ(x)) = x + softplus(−x), so the loss is
            // (1 − t)·x + l·softplus(−x) with l = 1 + (p − 1)·t. An infinite threshold keeps softplus's exact branch.
            var logWeight = Add(Mul(Add(posWeight, -1f), target), 1f);
            loss = Add(Mul(Add(Neg(target), 1f), input), Mul(logWeight, Softplus(Neg(input), 1f, float.PositiveInfinity)));
        }
        return Reduce(weight is null ? loss : Mul(loss, weight), reduction);
    }

    /// <summary>
    /// Kullback-Leibler divergence, as <c>torch.nn.functional.kl_div</c>: <paramref name="input"/> holds log-probabilities
    /// log q, <paramref name="target"/> probabilities p (log p with <paramref name="logTarget"/>); pointwise
    /// p·(log p − log q), taken as 0 where p = 0 (PyTorch's <c>xlogy(p, p) − p·input</c>), or e^(log p)·(log p − input).
    /// </summary>
    /// <param name="reduction">
    /// PyTorch's default is Mean, the average over every element, which is not the KL divergence of the rows;
    /// <see cref="Reduction.BatchMean"/> divides the sum by the batch size (the first dimension) and is the
    /// divergence per sample, what the mathematics means.
    /// </param>
    public static Tensor KLDivLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        CheckSameShape(nameof(KLDivLoss), input, target);
        if (!Enum.IsDefined(reduction))
            throw new ArgumentOutOfRangeException(nameof(reduction), $"KLDivLoss: unknown reduction {(int)reduction}.");
        var pointwise = logTarget
            ? Mul(Exp(target), Sub(target, input))
            : Sub(XLogX(target), Mul(target, input));
        if (reduction != Reduction.BatchMean) return Reduce(pointwise, reduction);
        // A 0-dimensional input has no batch dimension: PyTorch then returns the plain sum.
        var sum = Sum(pointwise);
        return input.Rank == 0 ? sum : Mul(sum, 1f / input.Shape[0]);
    }

    /// <summary>x·log x with 0 at x = 0 (<c>torch.xlogy(x, x)</c>). d/dx = log x + 1.</summary>
    private static Tensor XLogX(Tensor x)
    {
        var y = Unary(UnaryOp.XLogX, x);
        return Tape.Record(y, nameof(XLogX), [x], dy => [ChainRule(UnaryOp.XLogX, dy, x, y)]);
    }

    /// <summary>Throws unless <paramref name="t"/> (when given) broadcasts to the input's shape, on its device.</summary>
    private static void CheckBroadcastsTo(string op, string name, Tensor? t, Tensor input)
    {
        if (t is null) return;
        CheckSameDevice(op, input, t, "input", name);
        int[] shape = BroadcastShape(op, t.Shape.AsSpan(), input.Shape.AsSpan());
        if (new Shape(shape) != input.Shape)
            throw new ShapeMismatchException($"{op}: {name} of shape {t.Shape} must broadcast to the input's shape {input.Shape}, " +
                $"not widen it to {new Shape(shape)}.");
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

    /// <summary>
    /// Checks that target holds class indices for input (or the ignore index); returns those not ignored and the mean's
    /// divisor: their count, or the sum of their class weights.
    /// </summary>
    private static (int Counted, double Divisor) CountClassIndices(string op, Tensor input, Tensor target, int c, int ignoreIndex,
        float[]? classWeights)
    {
        var expected = ClassSampleShape(input.Shape);
        if (target.Shape != expected)
            throw new ShapeMismatchException(
                $"{op}: target shape {target.Shape} does not fit input {input.Shape}: expected class indices of shape {expected}" +
                (input.Rank >= 2 ? $" or class probabilities of shape {input.Shape}." : "."));
        var values = HostValues(target);
        int counted = 0;
        double divisor = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v == ignoreIndex) continue;
            if (v != MathF.Floor(v) || v < 0 || v >= c)
                throw new ArgumentOutOfRangeException(nameof(target), $"{op}: target {v} at position {i} is not a class index in [0, {c}).");
            counted++;
            divisor += classWeights is null ? 1 : classWeights[(int)v];
        }
        return (counted, divisor);
    }
}
