namespace Dendrite.Generative;

/// <summary>
/// What one GAN step measured: both losses, and the discriminator's mean probability of "real" for the real batch
/// (D(x)) and for the generated batch (D(G(z))) before its update. At the game's balance both probabilities near 0.5.
/// </summary>
public readonly record struct GanStep(float DiscriminatorLoss, float GeneratorLoss, float RealScore, float FakeScore);
