using Dendrite.Data;

namespace Dendrite.Examples.SequenceMotifs;

/// <summary>One labelled DNA sequence: label 1 when the motif occurs anywhere in it, else 0.</summary>
public readonly record struct LabelledSequence(string Sequence, int Label);

/// <summary>
/// DNA sequences of varying length, half of them carrying a motif at a random position, generated from a seed so every
/// run sees the same data. Negatives are random sequences checked not to contain the motif by chance.
/// </summary>
public static class MotifData
{
    /// <summary>The TATA box, a promoter motif that tells where transcription starts in many genes.</summary>
    public const string DefaultMotif = "TATAAT";

    public static List<LabelledSequence> Generate(int count, ulong seed, string motif = DefaultMotif, int minLength = 20, int maxLength = 60)
    {
        if (minLength < motif.Length || maxLength < minLength)
            throw new ArgumentException($"MotifData: need motif length {motif.Length} <= minLength {minLength} <= maxLength {maxLength}.");
        Alphabet.Dna.Encode(motif); // a motif with a symbol outside ACGT is an error here, not a silent miss later
        var g = new Generator(seed);
        var data = new List<LabelledSequence>(count);
        for (int i = 0; i < count; i++)
        {
            int length = minLength + g.NextInt(maxLength - minLength + 1);
            int label = i % 2;
            string s;
            do
            {
                var chars = new char[length];
                for (int p = 0; p < length; p++) chars[p] = Alphabet.Dna.Symbols[g.NextInt(4)];
                if (label == 1) motif.CopyTo(0, chars, g.NextInt(length - motif.Length + 1), motif.Length);
                s = new string(chars);
            }
            while (label == 0 && s.Contains(motif, StringComparison.Ordinal));
            data.Add(new LabelledSequence(s, label));
        }
        return data;
    }
}
