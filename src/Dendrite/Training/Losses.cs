namespace Dendrite.Training;

/// <summary>A loss as the training loop calls it: (model output, target) → a scalar to minimise.</summary>
public delegate Tensor LossFunction(Tensor output, Tensor target);

/// <summary>The built-in losses as <see cref="LossFunction"/>s with their default arguments, Keras-style names for Fit.</summary>
public static class Losses
{
    public static LossFunction CrossEntropy { get; } = (o, t) => F.CrossEntropy(o, t);
    public static LossFunction NLL { get; } = (o, t) => F.NLLLoss(o, t);
    public static LossFunction MSE { get; } = (o, t) => F.MSELoss(o, t);
    public static LossFunction L1 { get; } = (o, t) => F.L1Loss(o, t);
    public static LossFunction SmoothL1 { get; } = (o, t) => F.SmoothL1Loss(o, t);
    public static LossFunction Huber { get; } = (o, t) => F.HuberLoss(o, t);
    public static LossFunction BCE { get; } = (o, t) => F.BCELoss(o, t);
    public static LossFunction BCEWithLogits { get; } = (o, t) => F.BCEWithLogitsLoss(o, t);

    // Losses with options, named as PyTorch's loss modules (nn.CrossEntropyLoss(weight=...)). Weight tensors follow
    // the model's output to its device, so one loss serves a model moved with To(device).

    /// <summary>
    /// Cross-entropy with PyTorch's options: per-class <paramref name="weight"/>s (for imbalanced classes; the mean
    /// divides by the targets' summed weights), an ignored class index and label smoothing. See <see cref="F.CrossEntropy"/>.
    /// </summary>
    public static LossFunction CrossEntropyLoss(Tensor? weight = null, int ignoreIndex = -100, float labelSmoothing = 0f,
        Reduction reduction = Reduction.Mean) =>
        (o, t) => F.CrossEntropy(o, t, reduction, labelSmoothing, ignoreIndex, OnDeviceOf(o, weight));

    /// <summary>Negative log-likelihood with per-class weights and an ignored index. See <see cref="F.NLLLoss"/>.</summary>
    public static LossFunction NLLLoss(Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean) =>
        (o, t) => F.NLLLoss(o, t, reduction, ignoreIndex, OnDeviceOf(o, weight));

    /// <summary>Binary cross-entropy on probabilities with an element <paramref name="weight"/>. See <see cref="F.BCELoss"/>.</summary>
    public static LossFunction BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) =>
        (o, t) => F.BCELoss(o, t, reduction, OnDeviceOf(o, weight));

    /// <summary>
    /// Binary cross-entropy on logits with an element <paramref name="weight"/> and the positives' weight per class
    /// (<paramref name="posWeight"/> [C]: negatives/positives of each class balances them). See <see cref="F.BCEWithLogitsLoss"/>.
    /// </summary>
    public static LossFunction BCEWithLogitsLoss(Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean) =>
        (o, t) => F.BCEWithLogitsLoss(o, t, reduction, OnDeviceOf(o, weight), OnDeviceOf(o, posWeight));

    /// <summary>
    /// KL divergence of the target from the model's log-probabilities, by default per sample (batch mean), the
    /// mathematical divergence that PyTorch recommends over its default mean. See <see cref="F.KLDivLoss"/>.
    /// </summary>
    public static LossFunction KLDivLoss(Reduction reduction = Reduction.BatchMean, bool logTarget = false) =>
        (o, t) => F.KLDivLoss(o, t, reduction, logTarget);

    private static Tensor? OnDeviceOf(Tensor output, Tensor? t) => t?.To(output.Device);
}
