namespace Dendrite.Data;

/// <summary>One record of a FASTA or FASTQ file.</summary>
/// <param name="Id">The header's first word (after '>' or '@').</param>
/// <param name="Description">The rest of the header line, trimmed; empty when there is none.</param>
/// <param name="Sequence">The symbols, wrapped lines joined.</param>
/// <param name="Quality">FASTQ's quality string, one character per symbol (Phred + 33); null for FASTA.</param>
/// <param name="Line">The header's line in the file (1-based), for messages.</param>
public sealed record SequenceRecord(string Id, string Description, string Sequence, string? Quality, int Line)
{
    /// <summary>Phred quality scores (the quality characters minus 33, the Sanger/Illumina 1.8+ encoding).</summary>
    /// <exception cref="InvalidOperationException">The record has no quality (FASTA).</exception>
    public int[] QualityScores() => Quality is null
        ? throw new InvalidOperationException(
            $"Record \"{Id}\" (line {Line}) has no quality scores: it comes from FASTA, not FASTQ.")
        : [.. Quality.Select(c => c - 33)];
}

/// <summary>A symbol outside the alphabet, where <see cref="SequenceFile"/> found it.</summary>
/// <param name="Line">File line (1-based).</param>
/// <param name="Column">Column in that line (1-based).</param>
/// <param name="RecordId">The record it belongs to.</param>
/// <param name="Position">Position in the record's sequence (0-based).</param>
public readonly record struct UnknownSymbol(char Symbol, int Line, int Column, string RecordId, int Position);

/// <summary>What to do with a symbol that is not in the alphabet (an ambiguity code such as N, or a typo).</summary>
public enum UnknownSymbols
{
    /// <summary>Stop with an error that names the file, line, column and symbol.</summary>
    Error,

    /// <summary>Keep the symbol and list it in <see cref="SequenceFile.Unknown"/>.</summary>
    Report,

    /// <summary>Replace it by the replacement symbol (by default the alphabet's pad symbol, a one-hot row of zeros and
    /// mask 0) and list it in <see cref="SequenceFile.Unknown"/>.</summary>
    Replace,
}
