using Dendrite.Autograd;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// Rows of <paramref name="weight"/> [V, D] picked by integer <paramref name="indices"/> (stored as floats, like
    /// class labels): [...] → [..., D], as <c>torch.nn.functional.embedding</c>. Backward scatters dy back onto the
    /// picked rows, adding where an index repeats; the row <paramref name="paddingIdx"/> (negative counts from the end)
    /// receives no gradient, so a padding symbol's vector stays what it was (zeros, from <c>NN.Embedding</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is not an integer in [0, V); the message gives its position.</exception>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null)
    {
        if (weight.Rank != 2)
            throw new ShapeMismatchException($"Embedding: weight must be 2-D [num_embeddings, embedding_dim], got {weight.Shape}.");
        int vocabulary = weight.Shape[0], dim = weight.Shape[1];
        int? padding = paddingIdx is { } p ? NormalizePaddingIndex(p, vocabulary) : null;
        CheckSameDevice(nameof(Embedding), weight, indices, "weight", "indices");
        var rows = new int[indices.Numel];
        var values = HostValues(indices);
        for (int i = 0; i < rows.Length; i++)
        {
            float v = values[i];
            if (v != MathF.Floor(v) || v < 0 || v >= vocabulary)
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"Embedding: index {v} at position {i} is outside the table of {vocabulary} rows [0, {vocabulary}).");
            rows[i] = (int)v;
        }
        var y = Tensor.Empty(new Shape([.. indices.Shape, dim]), weight.Device);
        weight.Backend.GatherRows(weight.Storage, dim, rows, y.Storage);
        return Tape.Record(y, nameof(Embedding), [weight], dy =>
        {
            var dW = Tensor.Empty(weight.Shape, weight.Device);
            weight.Backend.ScatterAddRows(dy.Storage, dim, rows, padding ?? -1, dW.Storage);
            return [dW];
        });
    }

    internal static int NormalizePaddingIndex(int paddingIdx, int vocabulary)
    {
        int p = paddingIdx < 0 ? paddingIdx + vocabulary : paddingIdx;
        if (p < 0 || p >= vocabulary)
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), $"Embedding: paddingIdx {paddingIdx} is outside the table of {vocabulary} rows.");
        return p;
    }
}
