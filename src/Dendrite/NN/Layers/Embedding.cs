using System.Globalization;

namespace Dendrite.NN;

/// <summary>
/// A lookup table of learned vectors, as <c>torch.nn.Embedding</c>: integer indices [...] → vectors [..., D].
/// </summary>
/// <remarks>
/// Shapes: indices [...] (integers stored as floats) → [..., EmbeddingDim]; weight [NumEmbeddings, EmbeddingDim].
/// Init: weight ~ N(0, 1), PyTorch's default, with the <see cref="PaddingIdx"/> row zeroed; that row gets no gradient.
/// </remarks>
public sealed class Embedding : Module
{
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? generator = null)
    {
        NumEmbeddings = numEmbeddings > 0 ? numEmbeddings
            : throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding: numEmbeddings must be positive, got {numEmbeddings}.");
        EmbeddingDim = embeddingDim > 0 ? embeddingDim
            : throw new ArgumentOutOfRangeException(nameof(embeddingDim), $"Embedding: embeddingDim must be positive, got {embeddingDim}.");
        PaddingIdx = paddingIdx is { } p ? F.NormalizePaddingIndex(p, numEmbeddings) : null;
        Weight = AddParameter("weight", new Shape(NumEmbeddings, EmbeddingDim));
        ResetParameters(generator);
    }

    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }

    /// <summary>The index of the padding symbol, whose vector is zero and never trained; null when there is none.</summary>
    public int? PaddingIdx { get; }

    public Parameter Weight { get; }

    public void ResetParameters(Generator? generator = null)
    {
        Init.Normal(Weight, 0f, 1f, generator);
        if (PaddingIdx is { } p) Weight.Data.Slice(p * EmbeddingDim, EmbeddingDim).Clear();
    }

    public override Tensor Forward(Tensor input) => F.Embedding(input, Weight, PaddingIdx);

    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"{NumEmbeddings}, {EmbeddingDim}{(PaddingIdx is { } p ? $", padding_idx={p}" : "")}");
}
