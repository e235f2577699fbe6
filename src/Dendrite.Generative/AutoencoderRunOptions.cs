namespace Dendrite.Generative;

/// <summary>Settings of <c>dendrite train mnist-autoencoder</c> and the example.</summary>
/// <param name="Variant">dense (32-unit code), conv (convolutional, 32-unit code), dense-2d (2-unit code, drawn as a
/// scatter plot), or all three.</param>
/// <param name="TrainLimit">Train on only the first this many training images (tests and quick looks).</param>
public sealed record AutoencoderRunOptions(
    string Variant = "all",
    int Epochs = 10,
    int BatchSize = 128,
    float Lr = 1e-3f,
    ulong Seed = 1,
    string? OutDir = null,
    string? DataDir = null,
    int? TrainLimit = null)
{
    /// <summary>The values <see cref="Variant"/> accepts.</summary>
    public static IReadOnlyList<string> Variants { get; } = ["dense", "conv", "dense-2d", "all"];
}
