using Dendrite.NN;

namespace Dendrite.Generative;

/// <summary>
/// An encoder that compresses an image [N, 1, 28, 28] to a short code [N, Bottleneck] and a decoder that rebuilds the
/// image from the code; trained with the image as its own target, the code must keep what matters about the digit.
/// </summary>
public sealed class Autoencoder : Module
{
    /// <summary>Registers the two halves as the children <c>encoder</c> and <c>decoder</c> (their state_dict prefixes).</summary>
    public Autoencoder(string name, Sequential encoder, Sequential decoder, int bottleneck)
    {
        (Name, Bottleneck) = (name, bottleneck);
        Encoder = AddModule("encoder", encoder);
        Decoder = AddModule("decoder", decoder);
    }

    /// <summary>What this variant is called in reports and file names (dense, conv, dense-2d).</summary>
    public string Name { get; }

    /// <summary>Length of the code.</summary>
    public int Bottleneck { get; }

    /// <summary>Image [N, 1, 28, 28] → code [N, Bottleneck].</summary>
    public Sequential Encoder { get; }

    /// <summary>Code [N, Bottleneck] → image [N, 1, 28, 28] with pixels in (0, 1).</summary>
    public Sequential Decoder { get; }

    /// <summary>The reconstruction: Decoder(Encoder(x)).</summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != 1 || input.Shape[2] != 28 || input.Shape[3] != 28)
            throw new ShapeMismatchException($"Autoencoder({Name}): expected images [N, 1, 28, 28], got {input.Shape}.");
        return Decoder.Call(Encoder.Call(input));
    }
}
