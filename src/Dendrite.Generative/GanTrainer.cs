using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Generative;

/// <summary>
/// The adversarial game, one mini-batch at a time: the discriminator learns to tell real digits (target 1) from the
/// generator's (target 0), then the generator learns to make the discriminator say 1 for its own. Two Adam optimisers
/// with DCGAN's betas (0.5, 0.999) take turns; the losses are binary cross-entropy on logits.
/// </summary>
public sealed class GanTrainer
{
    /// <summary>Builds the optimisers for <paramref name="generator"/> and <paramref name="discriminator"/>.</summary>
    /// <param name="latent">Length of the noise vector the generator takes.</param>
    /// <param name="lr">Both optimisers' learning rate (DCGAN: 2e-4).</param>
    /// <param name="seed">Seeds the noise (and, conditional, the classes) drawn for the training steps (not the fixed
    /// sample batch).</param>
    /// <remarks>
    /// A <see cref="ProjectionDiscriminator"/> makes the game conditional: the generator then takes the noise with the
    /// class's one-hot vector after it ([N, latent + classes], <see cref="Dcgan.Generator"/> with <c>classes</c>), and
    /// every step needs the real images' labels.
    /// </remarks>
    public GanTrainer(Module generator, Module discriminator, int latent, float lr = 2e-4f, ulong seed = 1)
    {
        if (latent < 1) throw new ArgumentOutOfRangeException(nameof(latent), $"GanTrainer: latent must be >= 1, got {latent}.");
        (Generator, Discriminator, Latent) = (generator, discriminator, latent);
        Classes = discriminator is ProjectionDiscriminator projection ? projection.Classes : 0;
        GeneratorOptimizer = new Adam(generator.Parameters(), lr, beta1: 0.5f, beta2: 0.999f);
        DiscriminatorOptimizer = new Adam(discriminator.Parameters(), lr, beta1: 0.5f, beta2: 0.999f);
        Noise = new Generator(seed);
    }

    /// <summary>Noise [N, Latent] (conditional: [N, Latent + Classes], the class one-hot after the noise) → images
    /// [N, 1, 28, 28] in [−1, 1].</summary>
    public Module Generator { get; }

    /// <summary>Images [N, 1, 28, 28] in [−1, 1] (and, conditional, their classes) → logits [N, 1].</summary>
    public Module Discriminator { get; }

    /// <summary>Length of the noise vector.</summary>
    public int Latent { get; }

    /// <summary>How many classes a conditional game knows (0: unconditional).</summary>
    public int Classes { get; }

    /// <summary>Whether the players are told the class (<see cref="ProjectionDiscriminator"/>).</summary>
    public bool IsConditional => Classes > 0;

    /// <summary>Adam(β₁ 0.5, β₂ 0.999) over the generator's parameters.</summary>
    public Adam GeneratorOptimizer { get; }

    /// <summary>Adam(β₁ 0.5, β₂ 0.999) over the discriminator's parameters.</summary>
    public Adam DiscriminatorOptimizer { get; }

    /// <summary>Draws the training steps' noise.</summary>
    public Generator Noise { get; }

    /// <summary>
    /// One turn of each player on a batch of real images [N, 1, 28, 28] with pixels in [0, 1] (MNIST's scale; they are
    /// mapped to the generator's [−1, 1] here). Returns both losses and the discriminator's mean probability of "real"
    /// for the real and the generated batch, as the discriminator saw them before its update. A conditional game needs
    /// the real images' <paramref name="labels"/> [N] and draws the fakes' classes uniformly.
    /// </summary>
    /// <exception cref="ArgumentException">A conditional game got no labels.</exception>
    /// <exception cref="TrainingDivergedException">A loss became NaN or infinite.</exception>
    public GanStep Step(Tensor real, Tensor? labels = null)
    {
        int n = real.Shape[0];
        if (IsConditional && labels is null)
            throw new ArgumentException("GanTrainer.Step: this GAN is conditional (a ProjectionDiscriminator): pass the real images' labels.", nameof(labels));
        Generator.Train();
        Discriminator.Train();
        var realScaled = real * 2f - 1f;
        var ones = Tensor.Ones(n, 1);
        var zeros = Tensor.Zeros(n, 1);
        var fakeLabels = IsConditional ? RandomClasses(n) : null;
        var fake = Generate(Tensor.Randn(new Shape(n, Latent), Noise), fakeLabels);

        // Discriminator: real → 1, fake → 0. Detach: this loss must not reach the generator's weights.
        var realLogits = Score(realScaled, labels);
        var fakeLogits = Score(fake.Detach(), fakeLabels);
        var lossD = F.BCEWithLogitsLoss(realLogits, ones) + F.BCEWithLogitsLoss(fakeLogits, zeros);
        DiscriminatorOptimizer.ZeroGrad();
        lossD.Backward();
        DiscriminatorOptimizer.Step();

        // Generator: make the (just updated) discriminator say 1 for the fakes: the "non-saturating" loss of Goodfellow
        // et al., whose gradient stays strong while the discriminator still wins. Its backward also fills the
        // discriminator's gradients; the next turn's ZeroGrad drops them.
        var lossG = F.BCEWithLogitsLoss(Score(fake, fakeLabels), ones);
        GeneratorOptimizer.ZeroGrad();
        lossG.Backward();
        GeneratorOptimizer.Step();

        var step = new GanStep(lossD.Item(), lossG.Item(), MeanProbability(realLogits), MeanProbability(fakeLogits));
        if (!float.IsFinite(step.DiscriminatorLoss) || !float.IsFinite(step.GeneratorLoss))
            throw new TrainingDivergedException(
                $"GanTrainer.Step: a loss became non-finite (discriminator {step.DiscriminatorLoss}, generator {step.GeneratorLoss}). Try a lower learning rate.");
        return step;
    }

    /// <summary>
    /// The generator's images for noise <paramref name="z"/> [N, Latent] (conditional: of the classes
    /// <paramref name="labels"/> [N]), in eval mode (batch norm uses its running statistics) without the tape, mapped
    /// to pixels in [0, 1] as MNIST's.
    /// </summary>
    public Tensor Sample(Tensor z, Tensor? labels = null)
    {
        if (z.Rank != 2 || z.Shape[1] != Latent)
            throw new ShapeMismatchException($"GanTrainer.Sample: expected noise [N, {Latent}], got {z.Shape}.");
        if (IsConditional && labels is null)
            throw new ArgumentException("GanTrainer.Sample: this GAN is conditional: pass the class of each sample.", nameof(labels));
        Generator.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            var images = Generate(z, labels);
            return ((images + 1f) * 0.5f).Clone();
        }
        finally
        {
            Generator.Train();
        }
    }

    /// <summary>Classes 0, 1, …, Classes − 1, 0, 1, … for <paramref name="n"/> samples: as many of each as can be.</summary>
    public Tensor EachClassInTurn(int n) =>
        Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)(i % Math.Max(Classes, 1))).ToArray(), n);

    private Tensor Generate(Tensor z, Tensor? labels)
    {
        if (!IsConditional) return Generator.Call(z);
        if (labels is null || labels.Rank != 1 || labels.Shape[0] != z.Shape[0])
            throw new ShapeMismatchException($"GanTrainer: expected one class label per noise vector [{z.Shape[0]}], got {labels?.Shape.ToString() ?? "none"}.");
        return Generator.Call(F.Cat([z, F.OneHot(labels, Classes)], 1));
    }

    private Tensor Score(Tensor images, Tensor? labels) =>
        Discriminator is ProjectionDiscriminator projection ? projection.Forward(images, labels!) : Discriminator.Call(images);

    private Tensor RandomClasses(int n)
    {
        var classes = new float[n];
        for (int i = 0; i < n; i++) classes[i] = Noise.NextInt(Classes);
        return Tensor.FromArray(classes, n);
    }

    private static float MeanProbability(Tensor logits)
    {
        double sum = 0;
        foreach (float v in logits.Data) sum += 1.0 / (1.0 + Math.Exp(-v));
        return (float)(sum / logits.Numel);
    }
}
