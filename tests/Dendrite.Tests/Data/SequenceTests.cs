using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class SequenceTests
{
    [Fact]
    public void DNA_one_hot_puts_a_single_one_in_each_bases_column()
    {
        var x = Alphabet.Dna.OneHot("GATC-");
        Assert.Equal(new Shape(5, 4), x.Shape);
        Assert.Equal(
            [0f, 0, 1, 0,     // G
             1, 0, 0, 0,      // A
             0, 0, 0, 1,      // T
             0, 1, 0, 0,      // C
             0, 0, 0, 0], x.ToArray()); // padding: all zero
    }

    [Fact]
    public void The_protein_alphabet_has_the_20_amino_acids_and_a_user_alphabet_its_own_order()
    {
        Assert.Equal(20, Alphabet.Protein.Size);
        Assert.Equal(new[] { 0, 19, 20 }, Alphabet.Protein.Encode("AY-"));
        var custom = new Alphabet("xyz", padSymbol: '.');
        Assert.Equal(new[] { 2, 0, 3 }, custom.Encode("zx."));
        Assert.Equal("zx.", custom.Decode([2, 0, 3]));
        Assert.Equal(new[] { 0, 1 }, new Alphabet("ACGT", ignoreCase: true).Encode("aC"));
    }

    [Fact]
    public void A_symbol_outside_the_alphabet_is_named_with_its_position()
    {
        // Acceptance 5 of issue 5.
        var e = Assert.Throws<ArgumentException>(() => Alphabet.Dna.Encode("ACGTNA"));
        Assert.Contains("symbol 'N' at position 4", e.Message);
        Assert.Contains("\"ACGT\"", e.Message);

        e = Assert.Throws<ArgumentException>(() => Alphabet.Dna.Batch(["ACGT", "ACxT"]));
        Assert.Contains("symbol 'x' at position 2 of sequence 1", e.Message);
        Assert.Contains("case matters", e.Message);
    }

    [Fact]
    public void A_batch_is_padded_at_the_end_with_a_mask_of_the_real_symbols()
    {
        var batch = Alphabet.Dna.Batch(["AC", "GTTA", "C"]);

        Assert.Equal(new Shape(3, 4, 4), batch.Inputs.Shape);
        Assert.Equal([1f, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0], batch.Mask.ToArray());
        Assert.Equal(new[] { 2, 4, 1 }, batch.Lengths);
        Assert.Equal(1f, batch.Inputs[0, 1, 1]);                     // C
        Assert.Equal([0f, 0, 0, 0], batch.Inputs.ToArray()[(2 * 4)..(3 * 4)]);        // padding row of sample 0
        Assert.Equal([0f, 0, 0, 0], batch.Inputs.ToArray()[(11 * 4)..(12 * 4)]);      // last step of sample 2

        var indices = Alphabet.Dna.Batch(["AC", "GTTA"], oneHot: false);
        Assert.Equal([0f, 1, 4, 4, 2, 3, 3, 0], indices.Inputs.ToArray());  // 4 = PadIndex
    }

    [Fact]
    public void A_sequence_longer_than_the_maximum_is_reported_unless_truncation_is_asked_for()
    {
        // Acceptance 5 of issue 5: not silently cut.
        var e = Assert.Throws<ArgumentException>(() => Alphabet.Dna.Batch(["ACG", "ACGTACGT"], maxLength: 5));
        Assert.Contains("sequence 1 has length 8, longer than the maximum 5", e.Message);
        Assert.Contains("truncate: true", e.Message);

        var cut = Alphabet.Dna.Batch(["ACG", "ACGTACGT"], maxLength: 5, truncate: true);
        Assert.Equal(new Shape(2, 5, 4), cut.Inputs.Shape);
        Assert.Equal(new[] { 3, 5 }, cut.Lengths);
        Assert.Equal(1f, cut.Inputs[1, 4, 0]);   // the fifth base, A, kept; the rest cut

        Assert.Throws<ArgumentException>(() => Sequences.Pad([new[] { 1, 2, 3 }], 0, length: 2));
        Assert.Equal(["ACG", "G--"], Sequences.Pad(["ACGT", "G"], '-', length: 3, truncate: true));
    }

    [Fact]
    public void Padding_masks_and_truncation_of_plain_sequences()
    {
        Assert.Equal([5f, 6, 0, 7, 0, 0], Sequences.Pad([new[] { 5, 6 }, new[] { 7 }], 0, length: 3).ToArray());
        Assert.Equal(["ACG", "A--"], Sequences.Pad(["ACG", "A"], '-'));
        Assert.Equal(["ACG", "A"], Sequences.Truncate(["ACGT", "A"], 3));
        var mask = Sequences.Mask([2, 0, 3]);
        Assert.Equal(new Shape(3, 3), mask.Shape);
        Assert.Equal([1f, 1, 0, 0, 0, 0, 1, 1, 1], mask.ToArray());
        var e = Assert.Throws<ArgumentException>(() => Sequences.Mask([4], length: 3));
        Assert.Contains("sequence 0 has length 4, longer than the maximum 3", e.Message);
    }

    [Fact]
    public void Alphabets_reject_repeated_symbols_and_a_pad_symbol_among_them()
    {
        Assert.Contains("'A' appears twice", Assert.Throws<ArgumentException>(() => new Alphabet("ACA")).Message);
        Assert.Contains("pad symbol 'C'", Assert.Throws<ArgumentException>(() => new Alphabet("ACG", padSymbol: 'C')).Message);
    }
}
