namespace Dendrite.NN;

/// <summary>Inverted dropout (<see cref="F.Dropout"/>): active in training mode, the identity after <see cref="Module.Eval"/>.</summary>
public sealed class Dropout(double p = 0.5) : DropoutBase((float)p)
{
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training);
}

/// <summary>Drops whole channels of an [N, C, H, W] input (<see cref="F.Dropout2d"/>); the identity in eval mode.</summary>
public sealed class Dropout2d(double p = 0.5) : DropoutBase((float)p)
{
    public override Tensor Forward(Tensor input) => F.Dropout2d(input, P, Training);
}

/// <summary>The drop probability the dropout layers share, checked once.</summary>
public abstract class DropoutBase : Module
{
    private protected DropoutBase(float p) =>
        P = p is >= 0f and <= 1f ? p : throw new ArgumentOutOfRangeException(nameof(p), $"{GetType().Name}: p must be in [0, 1], got {p}.");

    public float P { get; }

    protected override string ExtraRepr() => $"p={P}";
}
