namespace Dendrite.Data;

/// <summary>A batch of sequences padded to one length, as <see cref="Alphabet.Batch"/> builds it.</summary>
/// <param name="Inputs">One-hot [N, T, Size] or indices [N, T], padding after each sequence's end.</param>
/// <param name="Mask">[N, T]: 1 where a real symbol is, 0 for padding; what <see cref="F.LSTM"/> and its kin take as mask.</param>
/// <param name="Lengths">Each sequence's length after any truncation, padding symbols inside it included.</param>
public sealed record SequenceBatch(Tensor Inputs, Tensor Mask, int[] Lengths);
