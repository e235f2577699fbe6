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
}
