namespace Dendrite.NN;

/// <summary>Inverted dropout (<see cref="F.Dropout"/>): active in training mode, the identity after <see cref="Module.Eval"/>.</summary>
public sealed class Dropout : Module
{
    public Dropout(float p = 0.5f)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p must be in [0, 1], got {p}.");
        P = p;
    }

    public float P { get; }

    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training);
    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>Drops whole channels of an [N, C, H, W] input (<see cref="F.Dropout2d"/>); the identity in eval mode.</summary>
public sealed class Dropout2d : Module
{
    public Dropout2d(float p = 0.5f)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout2d: p must be in [0, 1], got {p}.");
        P = p;
    }

    public float P { get; }

    public override Tensor Forward(Tensor input) => F.Dropout2d(input, P, Training);
    protected override string ExtraRepr() => $"p={P}";
}
