namespace Dendrite.Data;

/// <summary>
/// The symbols a sequence may hold (DNA's ACGT, the 20 amino acids, or your own) and how they become numbers:
/// symbol k has index k, and the pad symbol has index <see cref="PadIndex"/> = <see cref="Size"/>, so an
/// <c>Embedding(Size + 1, d, paddingIdx: Size)</c> reads padded index tensors, and one-hot rows of padding are all 0.
/// </summary>
/// <remarks>
/// A symbol outside the alphabet is an error that names the symbol and its position, never a silent skip: a stray
/// 'N' in a DNA read, or lowercase letters when the alphabet is uppercase, should be seen (pass
/// <c>ignoreCase: true</c> for the latter).
/// </remarks>
public sealed class Alphabet
{
    private readonly Dictionary<char, int> _index = [];

    /// <param name="symbols">The symbols, in index order; each once.</param>
    /// <param name="padSymbol">The symbol that stands for padding in text; not one of <paramref name="symbols"/>.</param>
    /// <param name="ignoreCase">Accept lower and upper case alike (symbols are then stored in upper case).</param>
    public Alphabet(string symbols, char padSymbol = '-', bool ignoreCase = false)
    {
        if (string.IsNullOrEmpty(symbols)) throw new ArgumentException("Alphabet: needs at least one symbol.", nameof(symbols));
        IgnoreCase = ignoreCase;
        Symbols = ignoreCase ? symbols.ToUpperInvariant() : symbols;
        for (int i = 0; i < Symbols.Length; i++)
            if (!_index.TryAdd(Symbols[i], i))
                throw new ArgumentException($"Alphabet: symbol '{Symbols[i]}' appears twice in \"{symbols}\".", nameof(symbols));
        if (_index.ContainsKey(Normalize(padSymbol)))
            throw new ArgumentException($"Alphabet: the pad symbol '{padSymbol}' is also a symbol of \"{symbols}\".", nameof(padSymbol));
        PadSymbol = padSymbol;
    }

    /// <summary>The four DNA bases, A, C, G, T (indices 0–3); pad '-'.</summary>
    public static Alphabet Dna { get; } = new("ACGT");

    /// <summary>The 20 standard amino acids in one-letter code, alphabetical: ACDEFGHIKLMNPQRSTVWY; pad '-'.</summary>
    public static Alphabet Protein { get; } = new("ACDEFGHIKLMNPQRSTVWY");

    public string Symbols { get; }
    public char PadSymbol { get; }
    public bool IgnoreCase { get; }

    /// <summary>Number of symbols (the pad symbol not counted): the width of a one-hot row.</summary>
    public int Size => Symbols.Length;

    /// <summary>The index padding gets in index tensors: <see cref="Size"/>, one past the last symbol.</summary>
    public int PadIndex => Size;

    private char Normalize(char c) => IgnoreCase ? char.ToUpperInvariant(c) : c;

    /// <summary>The index of <paramref name="symbol"/> (<see cref="PadIndex"/> for the pad symbol), or −1 if it is not in the alphabet.</summary>
    public int IndexOf(char symbol)
    {
        if (symbol == PadSymbol) return PadIndex;
        return _index.TryGetValue(Normalize(symbol), out int i) ? i : -1;
    }

    /// <summary>The index of every symbol of <paramref name="sequence"/>.</summary>
    /// <exception cref="ArgumentException">A symbol is not in the alphabet; the message names it and its position.</exception>
    public int[] Encode(string sequence) => Encode(sequence, null);

    internal int[] Encode(string sequence, int? sequenceNumber)
    {
        var indices = new int[sequence.Length];
        for (int p = 0; p < sequence.Length; p++)
        {
            int i = IndexOf(sequence[p]);
            if (i < 0)
                throw new ArgumentException(
                    $"Alphabet \"{Symbols}\": symbol '{Printable(sequence[p])}' at position {p}" +
                    (sequenceNumber is { } s ? $" of sequence {s}" : "") +
                    $" is not in the alphabet (padding is '{PadSymbol}'{(IgnoreCase ? "" : "; case matters, see ignoreCase")}).");
            indices[p] = i;
        }
        return indices;
    }

    /// <summary>The symbols for <paramref name="indices"/> (<see cref="PadIndex"/> gives the pad symbol).</summary>
    public string Decode(ReadOnlySpan<int> indices)
    {
        var chars = new char[indices.Length];
        for (int p = 0; p < indices.Length; p++)
        {
            int i = indices[p];
            chars[p] = i == PadIndex ? PadSymbol
                : (uint)i < (uint)Size ? Symbols[i]
                : throw new ArgumentOutOfRangeException(nameof(indices), $"Alphabet \"{Symbols}\": index {i} at position {p} is not in [0, {Size}].");
        }
        return new string(chars);
    }

    /// <summary>One row per symbol with a 1 in the symbol's column: [L, Size]; pad symbols give rows of zeros.</summary>
    /// <exception cref="ArgumentException">A symbol is not in the alphabet; the message names it and its position.</exception>
    public Tensor OneHot(string sequence)
    {
        var indices = Encode(sequence);
        var t = Tensor.Zeros(indices.Length, Size);
        var d = t.Data;
        for (int p = 0; p < indices.Length; p++)
            if (indices[p] != PadIndex) d[p * Size + indices[p]] = 1f;
        return t;
    }

    /// <summary>
    /// Sequences of different lengths as one batch, padded at the end to <paramref name="maxLength"/> (or to the
    /// longest), with the mask a recurrent layer takes: one-hot inputs [N, T, Size], or indices [N, T] with padding
    /// at <see cref="PadIndex"/> when <paramref name="oneHot"/> is false.
    /// </summary>
    /// <param name="maxLength">The padded length T; a longer sequence is an error unless <paramref name="truncate"/>.</param>
    /// <param name="truncate">Cut sequences longer than <paramref name="maxLength"/> to their first maxLength symbols.</param>
    /// <exception cref="ArgumentException">
    /// A symbol is not in the alphabet (the message names it, its position and its sequence), or a sequence is longer
    /// than <paramref name="maxLength"/> and truncation was not asked for.
    /// </exception>
    public SequenceBatch Batch(IReadOnlyList<string> sequences, int? maxLength = null, bool truncate = false, bool oneHot = true)
    {
        var encoded = new int[sequences.Count][];
        for (int n = 0; n < encoded.Length; n++) encoded[n] = Encode(sequences[n], n);
        int length = Sequences.TargetLength(encoded.Select(e => e.Length).ToList(), maxLength, truncate);
        var lengths = new int[encoded.Length];
        // A pad symbol inside the text is padding too: the mask follows the symbols, not just the lengths.
        var mask = Tensor.Zeros(encoded.Length, length);
        var md = mask.Data;
        for (int n = 0; n < encoded.Length; n++)
        {
            lengths[n] = Math.Min(encoded[n].Length, length);
            for (int t = 0; t < lengths[n]; t++) md[n * length + t] = encoded[n][t] == PadIndex ? 0f : 1f;
        }
        Tensor inputs;
        if (oneHot)
        {
            inputs = Tensor.Zeros(encoded.Length, length, Size);
            var d = inputs.Data;
            for (int n = 0; n < encoded.Length; n++)
                for (int t = 0; t < lengths[n]; t++)
                    if (encoded[n][t] != PadIndex) d[(n * length + t) * Size + encoded[n][t]] = 1f;
        }
        else
        {
            inputs = Sequences.Pad(encoded, PadIndex, length, truncate: true);
        }
        return new SequenceBatch(inputs, mask, lengths);
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString();

    public override string ToString() => $"Alphabet(\"{Symbols}\", pad '{PadSymbol}')";
}
