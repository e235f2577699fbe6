namespace Dendrite.Generative;

/// <summary>
/// Settings of one GAN run on MNIST, as <c>dendrite train mnist-gan</c> and the example take them.
/// </summary>
/// <param name="Epochs">Passes over the training images (the time limit may end the run sooner).</param>
/// <param name="Lr">Both Adams' learning rate. DCGAN's 2e-4 (batch 128) learns too slowly for a 15-minute budget: of batch
/// 32 with 2e-4, 5e-4 and 1e-3, and batch 16 with 5e-4, 1e-3 with batch 32 judged best after 15 minutes (docs/course/gan.md).</param>
/// <param name="TimeLimit">Stop training after the first step that ends past this much training time (null: none).</param>
/// <param name="SampleEvery">Write the fixed-noise sample grid after every this many epochs (and after the last).</param>
/// <param name="JudgePath">The W2 classifier's weights (<c>dendrite train mnist-cnn --out DIR</c> writes
/// <c>DIR/model.safetensors</c>); when set, 1,000 generated digits are judged after training.</param>
/// <param name="GeneratorPath">Load a trained generator (a run's <c>generator.safetensors</c>) instead of training: only
/// sample and judge.</param>
/// <param name="TrainLimit">Train on only the first this many training images (tests and quick looks).</param>
/// <param name="Conditional">Tell both players the digit's class (a projection discriminator and a one-hot class input
/// to the generator), so that the generator makes digits to order; false: the plain DCGAN, which makes whatever digit
/// its noise lands on. docs/course/gan.md compares the two.</param>
public sealed record GanRunOptions(
    int Epochs = 20,
    int BatchSize = 32,
    float Lr = 1e-3f,
    ulong Seed = 1,
    string? OutDir = null,
    string? DataDir = null,
    int? TrainLimit = null,
    TimeSpan? TimeLimit = null,
    int SampleEvery = 1,
    string? JudgePath = null,
    int Latent = 64,
    int Width = 32,
    int JudgeSamples = 1000,
    string? GeneratorPath = null,
    bool Conditional = true);
