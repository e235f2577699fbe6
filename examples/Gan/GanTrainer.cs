using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Examples.Gan;

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
    /// <param name="seed">Seeds the noise drawn for the training steps (not the fixed sample batch).</param>
    public GanTrainer(Module generator, Module discriminator, int latent, float lr = 2e-4f, ulong seed = 1)
    {
        if (latent < 1) throw new ArgumentOutOfRangeException(nameof(latent), $"GanTrainer: latent must be >= 1, got {latent}.");
        (Generator, Discriminator, Latent) = (generator, discriminator, latent);
        GeneratorOptimizer = new Adam(generator.Parameters(), lr, beta1: 0.5f, beta2: 0.999f);
        DiscriminatorOptimizer = new Adam(discriminator.Parameters(), lr, beta1: 0.5f, beta2: 0.999f);
        Noise = new Generator(seed);
    }

    /// <summary>Noise [N, Latent] → images [N, 1, 28, 28] in [−1, 1].</summary>
    public Module Generator { get; }

    /// <summary>Images [N, 1, 28, 28] in [−1, 1] → logits [N, 1].</summary>
    public Module Discriminator { get; }

    /// <summary>Length of the noise vector.</summary>
    public int Latent { get; }

    /// <summary>Adam(β₁ 0.5, β₂ 0.999) over the generator's parameters.</summary>
    public Adam GeneratorOptimizer { get; }

    /// <summary>Adam(β₁ 0.5, β₂ 0.999) over the discriminator's parameters.</summary>
    public Adam DiscriminatorOptimizer { get; }

    /// <summary>Draws the training steps' noise.</summary>
    public Generator Noise { get; }

    /// <summary>
    /// One turn of each player on a batch of real images [N, 1, 28, 28] with pixels in [0, 1] (MNIST's scale; they are
    /// mapped to the generator's [−1, 1] here). Returns both losses and the discriminator's mean probability of "real"
    /// for the real and the generated batch, as the discriminator saw them before its update.
    /// </summary>
    /// <exception cref="TrainingDivergedException">A loss became NaN or infinite.</exception>
    public GanStep Step(Tensor real)
    {
        int n = real.Shape[0];
        Generator.Train();
        Discriminator.Train();
        var realScaled = real * 2f - 1f;
        var ones = Tensor.Ones(n, 1);
        var zeros = Tensor.Zeros(n, 1);
        var fake = Generator.Call(Tensor.Randn(new Shape(n, Latent), Noise));

        // Discriminator: real → 1, fake → 0. Detach: this loss must not reach the generator's weights.
        var realLogits = Discriminator.Call(realScaled);
        var fakeLogits = Discriminator.Call(fake.Detach());
        var lossD = F.BCEWithLogitsLoss(realLogits, ones) + F.BCEWithLogitsLoss(fakeLogits, zeros);
        DiscriminatorOptimizer.ZeroGrad();
        lossD.Backward();
        DiscriminatorOptimizer.Step();

        // Generator: make the (just updated) discriminator say 1 for the fakes: the "non-saturating" loss of Goodfellow
        // et al., whose gradient stays strong while the discriminator still wins. Its backward also fills the
        // discriminator's gradients; the next turn's ZeroGrad drops them.
        var lossG = F.BCEWithLogitsLoss(Discriminator.Call(fake), ones);
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
    /// The generator's images for noise <paramref name="z"/> [N, Latent], in eval mode (batch norm uses its running
    /// statistics) without the tape, mapped to pixels in [0, 1] as MNIST's.
    /// </summary>
    public Tensor Sample(Tensor z)
    {
        if (z.Rank != 2 || z.Shape[1] != Latent)
            throw new ShapeMismatchException($"GanTrainer.Sample: expected noise [N, {Latent}], got {z.Shape}.");
        Generator.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            var images = Generator.Call(z);
            return ((images + 1f) * 0.5f).Clone();
        }
        finally
        {
            Generator.Train();
        }
    }

    private static float MeanProbability(Tensor logits)
    {
        double sum = 0;
        foreach (float v in logits.Data) sum += 1.0 / (1.0 + Math.Exp(-v));
        return (float)(sum / logits.Numel);
    }
}
