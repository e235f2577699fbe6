using Dendrite.Data;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Data;

public class SequenceFileTests
{
    // Three records: wrapped lines, lower case, an N, a blank line and a ';' comment.
    private const string Fasta = """
        >seq1 label=promoter source=test
        ACGTac
        gtNA
        ; an old-style comment line

        >seq2 label=background
        TTTT
        >seq3   label=promoter
        g
        """;

    [Fact]
    public void Multi_record_fasta_with_lower_case_n_and_wrapped_lines_parses()
    {
        var file = SequenceFile.ParseFasta(new StringReader(Fasta), "motifs.fa", Alphabet.Dna, UnknownSymbols.Report);
        Assert.Equal(["seq1", "seq2", "seq3"], file.Records.Select(r => r.Id));
        Assert.Equal(["ACGTACGTNA", "TTTT", "G"], file.Records.Select(r => r.Sequence));
        Assert.Equal("label=promoter source=test", file.Records[0].Description);
        Assert.Equal([1, 6, 8], file.Records.Select(r => r.Line));
        Assert.Equal([new UnknownSymbol('N', 3, 3, "seq1", 8)], file.Unknown);
        Assert.Null(file.Records[0].Quality);
    }

    [Fact]
    public void Unknown_symbols_are_errors_with_file_line_and_column_or_replaced_as_asked()
    {
        var e = Assert.Throws<DataFormatException>(() => SequenceFile.ParseFasta(new StringReader(Fasta), "motifs.fa", Alphabet.Dna));
        Assert.StartsWith("motifs.fa: line 3, column 3: symbol 'N' of record \"seq1\" is not in the alphabet \"ACGT\".", e.Message);
        var replaced = SequenceFile.ParseFasta(new StringReader(Fasta), "motifs.fa", Alphabet.Dna, UnknownSymbols.Replace);
        Assert.Equal("ACGTACGT-A", replaced.Records[0].Sequence);
        var kept = SequenceFile.ParseFasta(new StringReader(Fasta), "motifs.fa", upperCase: false);
        Assert.Equal("ACGTacgtNA", kept.Records[0].Sequence);
        Assert.Empty(kept.Unknown);
        var orphan = Assert.Throws<DataFormatException>(() => SequenceFile.ParseFasta(new StringReader("ACGT\n>x\nA\n"), "bad.fa"));
        Assert.Equal("bad.fa: line 1: sequence data before the first '>' header.", orphan.Message);
    }

    [Fact]
    public void Fastq_records_keep_quality_even_when_wrapped_or_starting_with_at()
    {
        const string fastq = "@r1 lane=1\nACGT\n+\n@@II\n@r2\nAC\nGN\n+r2\nII\n#!\n";
        var file = SequenceFile.ParseFastq(new StringReader(fastq), "reads.fq", Alphabet.Dna, UnknownSymbols.Report);
        Assert.Equal(["ACGT", "ACGN"], file.Records.Select(r => r.Sequence));
        Assert.Equal("@@II", file.Records[0].Quality);
        Assert.Equal([31, 31, 40, 40], file.Records[0].QualityScores());
        Assert.Equal([40, 40, 2, 0], file.Records[1].QualityScores());
        Assert.Equal([new UnknownSymbol('N', 7, 2, "r2", 3)], file.Unknown);
        var e = Assert.Throws<DataFormatException>(() => SequenceFile.ParseFastq(new StringReader("@r\nACGT\n+\nII\n"), "short.fq"));
        Assert.Equal("short.fq: line 1: record \"r\" has 4 symbols but the file ends after 2 quality characters.", e.Message);
        var header = Assert.Throws<DataFormatException>(() => SequenceFile.ParseFastq(new StringReader(">r\nA\n"), "fa.fq"));
        Assert.Equal("fa.fq: line 1: expected a '@' record header, got \">r\".", header.Message);
    }

    [Fact]
    public void Files_on_disk_are_read_and_labels_come_from_header_or_side_table()
    {
        using var dir = new TempDirectory();
        string fasta = dir.File("motifs.fa");
        File.WriteAllText(fasta, Fasta);
        var file = SequenceFile.ReadFasta(fasta, Alphabet.Dna, UnknownSymbols.Replace);
        var byHeader = SequenceDataset.FromRecords(file, SequenceDataset.HeaderField("label"), Alphabet.Dna);
        Assert.Equal(["background", "promoter"], byHeader.ClassNames);
        Assert.Equal([1, 0, 1], Enumerable.Range(0, 3).Select(byHeader.LabelOf));
        var table = Table.Parse("id,class\nseq1,a\nseq2,b\nseq3,b\n", "labels.csv");
        var byTable = SequenceDataset.FromRecords(file, SequenceDataset.LabelsFromTable(table, "id", "class"), Alphabet.Dna);
        Assert.Equal([0, 1, 1], Enumerable.Range(0, 3).Select(byTable.LabelOf));
        var missing = Assert.Throws<DataFormatException>(() => SequenceDataset.FromRecords(file, SequenceDataset.HeaderField("kind"), Alphabet.Dna));
        Assert.Equal($"{fasta}: line 1: no label for record \"seq1\".", missing.Message);
    }

    [Fact]
    public void Batches_are_padded_to_their_own_longest_sequence_with_masks()
    {
        var data = new SequenceDataset(["ACGTAC", "AC", "G", "TT"], [0, 1, 0, 1], ["x", "y"], Alphabet.Dna);
        var loader = new DataLoader(data, batchSize: 2);
        var batches = loader.Batches(data.Collate).ToList();
        Assert.Equal([6, 2], batches.Select(b => b.Batch.Inputs.Shape[1]));
        Assert.Equal([6, 2], batches[0].Batch.Lengths);
        Assert.Equal([1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 0f, 0f, 0f, 0f], batches[0].Batch.Mask.ToArray());
        Assert.Equal([1f, 0f, 1f, 1f], batches[1].Batch.Mask.ToArray());
        Assert.Equal([0f, 1f], batches[0].Targets.ToArray());
        // Plain enumeration gives the same padded inputs, and the loader counted both passes as epochs.
        var (x, _) = loader.First();
        Assert.Equal(new Shape(2, 6, 4), x.Shape);
        Assert.Equal(2, loader.Epoch);
        var (single, label) = data[1];
        Assert.Equal(new Shape(2, 4), single.Shape);
        Assert.Equal(1f, label.Item());
    }
}
