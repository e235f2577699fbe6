namespace Dendrite.Data;

/// <summary>
/// Padding, masks and truncation for sequences of different lengths (Keras' <c>pad_sequences</c>, PyTorch's
/// <c>pad_sequence</c> and the lengths of <c>pack_padded_sequence</c>). Padding goes after the end of each sequence;
/// truncation keeps the start. A sequence longer than the requested length is an error unless truncation is asked
/// for: cutting data silently hides mistakes.
/// </summary>
public static class Sequences
{
    /// <summary>Index sequences as one [N, T] tensor, each padded with <paramref name="padValue"/> after its end.</summary>
    /// <param name="length">T; the longest sequence's length when null.</param>
    /// <param name="truncate">Cut sequences longer than <paramref name="length"/> to their first T values.</param>
    /// <exception cref="ArgumentException">A sequence is longer than <paramref name="length"/> and <paramref name="truncate"/> is false.</exception>
    public static Tensor Pad(IReadOnlyList<int[]> sequences, int padValue, int? length = null, bool truncate = false)
    {
        int t = TargetLength(sequences.Select(s => s.Length).ToList(), length, truncate);
        var padded = Tensor.Full(new Shape(sequences.Count, t), padValue);
        var d = padded.Data;
        for (int n = 0; n < sequences.Count; n++)
        {
            int keep = Math.Min(sequences[n].Length, t);
            for (int i = 0; i < keep; i++) d[n * t + i] = sequences[n][i];
        }
        return padded;
    }

    /// <summary>Text sequences padded with <paramref name="padSymbol"/> to one length (see <see cref="Pad(IReadOnlyList{int[]}, int, int?, bool)"/>).</summary>
    public static string[] Pad(IReadOnlyList<string> sequences, char padSymbol, int? length = null, bool truncate = false)
    {
        int t = TargetLength(sequences.Select(s => s.Length).ToList(), length, truncate);
        return sequences.Select(s => s.Length >= t ? s[..t] : s.PadRight(t, padSymbol)).ToArray();
    }

    /// <summary>The [N, T] mask of sequences with these lengths: 1 for the first lengths[n] steps of row n, then 0.</summary>
    /// <param name="length">T; the longest length when null.</param>
    /// <exception cref="ArgumentException">A length is negative or longer than <paramref name="length"/>.</exception>
    public static Tensor Mask(IReadOnlyList<int> lengths, int? length = null)
    {
        for (int n = 0; n < lengths.Count; n++)
            if (lengths[n] < 0) throw new ArgumentException($"Sequences.Mask: length {lengths[n]} of sequence {n} is negative.");
        int t = TargetLength(lengths, length, truncate: false);
        var mask = Tensor.Zeros(lengths.Count, t);
        var d = mask.Data;
        for (int n = 0; n < lengths.Count; n++) d.Slice(n * t, lengths[n]).Fill(1f);
        return mask;
    }

    /// <summary>The first <paramref name="maxLength"/> symbols of each sequence (shorter ones unchanged).</summary>
    public static string[] Truncate(IReadOnlyList<string> sequences, int maxLength)
    {
        if (maxLength < 0) throw new ArgumentOutOfRangeException(nameof(maxLength), $"Sequences.Truncate: maxLength must be >= 0, got {maxLength}.");
        return sequences.Select(s => s.Length > maxLength ? s[..maxLength] : s).ToArray();
    }

    /// <summary>The padded length: the requested one (checked against every sequence) or the longest.</summary>
    internal static int TargetLength(IReadOnlyList<int> lengths, int? maxLength, bool truncate)
    {
        if (maxLength is not { } max) return lengths.Count == 0 ? 0 : lengths.Max();
        if (max < 0) throw new ArgumentOutOfRangeException(nameof(maxLength), $"Sequences: maxLength must be >= 0, got {max}.");
        if (!truncate)
            for (int n = 0; n < lengths.Count; n++)
                if (lengths[n] > max)
                    throw new ArgumentException(
                        $"Sequences: sequence {n} has length {lengths[n]}, longer than the maximum {max}. " +
                        $"Pass truncate: true to keep its first {max} symbols, or raise the maximum.");
        return max;
    }
}
