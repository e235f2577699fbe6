namespace Dendrite;

/// <summary>
/// What a recurrent network returns, as PyTorch's <c>output, h_n</c> (RNN, GRU) or <c>output, (h_n, c_n)</c> (LSTM).
/// </summary>
/// <param name="Output">
/// The last layer's hidden state at every step: [T, N, D·H], or [N, T, D·H] with batch_first, or [T, D·H] unbatched;
/// directions are concatenated along the last dimension (forward first). Padded (masked) steps hold 0.
/// </param>
/// <param name="H">
/// The final hidden state of every layer and direction, [L·D, N, H] (unbatched [L·D, H]), ordered layer by layer with
/// the forward direction first. With a mask, "final" is each sequence's own last present step (the first, for the
/// reverse direction), as with PyTorch's packed sequences.
/// </param>
/// <param name="C">The final cell state of an LSTM, shaped like <paramref name="H"/>; null for RNN and GRU.</param>
public readonly record struct RnnOutput(Tensor Output, Tensor H, Tensor? C)
{
    /// <summary>
    /// The top layer's final hidden state with the directions side by side, [N, D·H] (unbatched [D·H]): what a
    /// sequence classifier reads (for one direction, <c>h_n[-1]</c> in PyTorch).
    /// </summary>
    public Tensor LastLayerState(int directions)
    {
        int layersTimesDirections = H.Shape[0];
        if (directions < 1 || layersTimesDirections % directions != 0)
            throw new ArgumentException($"LastLayerState: {directions} directions do not divide h_n {H.Shape}.");
        var top = F.Slice(H, layersTimesDirections - directions, directions); // [D, N, H] or [D, H]
        if (directions == 1) return F.Squeeze(top, 0);
        return H.Rank == 2 ? F.Reshape(top, -1) : F.Reshape(F.Transpose(top, 0, 1), top.Shape[1], -1);
    }
}
