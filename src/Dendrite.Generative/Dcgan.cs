using Dendrite.NN;

namespace Dendrite.Generative;

/// <summary>
/// The two networks of a small DCGAN for 28×28 digits (Radford, Metz and Chintala, 2015), sized for a CPU: the generator
/// upsamples 7→14→28 with transposed convolutions, the discriminator mirrors it with strided convolutions.
/// </summary>
public static class Dcgan
{
    /// <summary>
    /// Noise z [N, <paramref name="latent"/>] → image [N, 1, 28, 28] in [−1, 1]: Linear to 2w·7·7, BatchNorm, ReLU;
    /// ConvTranspose2d(2w → w, 4, stride 2, padding 1) to 14×14, BatchNorm, ReLU; ConvTranspose2d(w → 1) to 28×28, Tanh.
    /// A conditional generator (<paramref name="classes"/> &gt; 0) takes the class as a one-hot vector after the noise:
    /// input [N, latent + classes].
    /// </summary>
    /// <remarks>Layers followed by BatchNorm have no bias: the norm's shift would cancel it.</remarks>
    public static Sequential Generator(int latent = 64, int width = 32, int classes = 0)
    {
        var g = new Sequential(
            new Linear(latent + classes, 2 * width * 7 * 7, bias: false), new BatchNorm1d(2 * width * 7 * 7), new ReLU(),
            new Unflatten(1, 2 * width, 7, 7),
            new ConvTranspose2d(2 * width, width, 4, stride: 2, padding: 1, bias: false), new BatchNorm2d(width), new ReLU(),
            new ConvTranspose2d(width, 1, 4, stride: 2, padding: 1), new Tanh());
        InitDcgan(g);
        return g;
    }

    /// <summary>
    /// Image [N, 1, 28, 28] in [−1, 1] → one logit per image (positive: "real"): Conv2d(1 → w, 4, stride 2, padding 1)
    /// to 14×14, LeakyReLU(0.2); Conv2d(w → 2w) to 7×7, BatchNorm, LeakyReLU(0.2); Linear(2w·7·7 → 1).
    /// </summary>
    /// <remarks>No sigmoid at the end: the losses use <see cref="F.BCEWithLogitsLoss"/>, which is stable for large logits.</remarks>
    public static Sequential Discriminator(int width = 32)
    {
        var d = DiscriminatorFeatures(width);
        d.Add(new Linear(2 * width * 7 * 7, 1));
        InitDcgan(d);
        return d;
    }

    /// <summary>
    /// The class-conditional discriminator: <see cref="Discriminator"/>'s convolutions, then the projection score
    /// Linear(φ) + ⟨E[y], φ⟩ over the 2w·7·7 features φ (<see cref="ProjectionDiscriminator"/>).
    /// </summary>
    public static ProjectionDiscriminator ConditionalDiscriminator(int width = 32, int classes = 10)
    {
        var d = new ProjectionDiscriminator(DiscriminatorFeatures(width), 2 * width * 7 * 7, classes);
        InitDcgan(d);
        return d;
    }

    /// <summary>Image → features [N, 2w·7·7]: the two strided convolutions both discriminators share.</summary>
    private static Sequential DiscriminatorFeatures(int width) => new(
        new Conv2d(1, width, 4, stride: 2, padding: 1), new LeakyReLU(0.2f),
        new Conv2d(width, 2 * width, 4, stride: 2, padding: 1, bias: false), new BatchNorm2d(2 * width), new LeakyReLU(0.2f),
        new Flatten());

    /// <summary>
    /// DCGAN's initialisation: convolution and dense weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02), shifts 0
    /// (the paper's section 4; PyTorch's dcgan example does the same in <c>weights_init</c>); class embeddings, like
    /// dense weights, ~ N(0, 0.02).
    /// </summary>
    public static void InitDcgan(Module network)
    {
        foreach (var m in network.Modules())
        {
            switch (m)
            {
                case Conv2d c: Init.Normal(c.Weight, 0f, 0.02f); break;
                case ConvTranspose2d t: Init.Normal(t.Weight, 0f, 0.02f); break;
                case Linear l: Init.Normal(l.Weight, 0f, 0.02f); break;
                case Embedding e: Init.Normal(e.Weight, 0f, 0.02f); break;
                case BatchNormBase { Weight: { } scale, Bias: { } shift }:
                    Init.Normal(scale, 1f, 0.02f);
                    Init.Zeros(shift);
                    break;
            }
        }
    }
}
