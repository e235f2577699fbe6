using System.Text;

namespace Dendrite.Data;

/// <summary>
/// The records of a FASTA or FASTQ file (Biopython's <c>SeqIO.parse</c>), with every symbol that fell outside the
/// alphabet. Wrapped sequence lines are joined; blank lines and FASTA ';' comment lines are skipped; lower case
/// becomes upper case unless asked to keep it (lower case often marks soft-masked repeats, which a model treats as
/// the same bases). Malformed input is an error naming the file and line.
/// </summary>
public sealed class SequenceFile
{
    private SequenceFile(string source, List<SequenceRecord> records, List<UnknownSymbol> unknown)
    {
        Source = source;
        Records = records;
        Unknown = unknown;
    }

    public string Source { get; }
    public IReadOnlyList<SequenceRecord> Records { get; }

    /// <summary>
    /// Symbols outside the alphabet, in file order (empty when no alphabet was given or all were known).
    /// </summary>
    public IReadOnlyList<UnknownSymbol> Unknown { get; }

    /// <summary>Reads a FASTA file (records start with '>'; a file ending in .gz is decompressed).</summary>
    /// <param name="alphabet">The allowed symbols; null accepts any.</param>
    /// <param name="unknown">What to do with a symbol outside <paramref name="alphabet"/>.</param>
    /// <param name="replacement">The symbol for <see cref="UnknownSymbols.Replace"/>; the alphabet's pad symbol when
    /// null.</param>
    /// <exception cref="DataFormatException">The file is malformed, or has an unknown symbol under
    /// <see cref="UnknownSymbols.Error"/>.</exception>
    public static SequenceFile ReadFasta(string path, Alphabet? alphabet = null, UnknownSymbols unknown = UnknownSymbols.Error,
        char? replacement = null, bool upperCase = true)
    {
        using var reader = Open(path);
        return ParseFasta(reader, path, alphabet, unknown, replacement, upperCase);
    }

    /// <summary>
    /// Reads a FASTQ file (records of '@' header, sequence, '+' line, quality; sequence and quality may wrap).
    /// </summary>
    /// <exception cref="DataFormatException">The file is malformed (the message names file and line), or has an unknown
    /// symbol under <see cref="UnknownSymbols.Error"/>.</exception>
    public static SequenceFile ReadFastq(string path, Alphabet? alphabet = null, UnknownSymbols unknown = UnknownSymbols.Error,
        char? replacement = null, bool upperCase = true)
    {
        using var reader = Open(path);
        return ParseFastq(reader, path, alphabet, unknown, replacement, upperCase);
    }

    /// <summary>
    /// Parses FASTA text from <paramref name="reader"/>; <paramref name="source"/> names it in messages.
    /// </summary>
    public static SequenceFile ParseFasta(TextReader reader, string source, Alphabet? alphabet = null,
        UnknownSymbols unknown = UnknownSymbols.Error, char? replacement = null, bool upperCase = true)
    {
        var builder = new Builder(source, alphabet, unknown, replacement, upperCase);
        var lines = new NumberedLines(reader);
        while (lines.Next() is { } text)
        {
            if (text.Length == 0 || text[0] == ';') continue;
            if (text[0] == '>')
            {
                builder.Finish(null);
                builder.Start(text, lines.Number);
                continue;
            }
            if (!builder.InRecord)
                throw new DataFormatException(
                    $"{source}: line {lines.Number}: sequence data before the first '>' header.");
            builder.Append(text, lines.Number);
        }
        builder.Finish(null);
        return builder.Build();
    }

    /// <summary>
    /// Parses FASTQ text from <paramref name="reader"/>; <paramref name="source"/> names it in messages.
    /// </summary>
    public static SequenceFile ParseFastq(TextReader reader, string source, Alphabet? alphabet = null,
        UnknownSymbols unknown = UnknownSymbols.Error, char? replacement = null, bool upperCase = true)
    {
        var builder = new Builder(source, alphabet, unknown, replacement, upperCase);
        var lines = new NumberedLines(reader);
        while (lines.Next() is { } header)
        {
            if (header.Length == 0) continue;
            if (header[0] != '@')
                throw new DataFormatException(
                    $"{source}: line {lines.Number}: expected a '@' record header, got \"{Shorten(header)}\".");
            builder.Start(header, lines.Number);
            int headerLine = lines.Number;
            // Sequence lines run to the '+' separator; quality lines then run until they are as long as the sequence
            // (a quality line may itself start with '@' or '+', so lengths, not first characters, end it).
            while (true)
            {
                string text = lines.Next()
                    ?? throw new DataFormatException(
                        $"{source}: line {headerLine}: record \"{builder.Id}\" ends before its '+' line.");
                if (text.StartsWith('+')) break;
                builder.Append(text, lines.Number);
            }
            var quality = new StringBuilder();
            while (quality.Length < builder.Length)
                quality.Append(lines.Next() ?? throw new DataFormatException(
                    $"{source}: line {headerLine}: record \"{builder.Id}\" has {builder.Length} symbols but the " +
                    $"file ends after {quality.Length} quality characters."));
            if (quality.Length != builder.Length)
                throw new DataFormatException(
                    $"{source}: line {lines.Number}: record \"{builder.Id}\" has {builder.Length} symbols but " +
                    $"{quality.Length} quality characters.");
            builder.Finish(quality.ToString());
        }
        return builder.Build();
    }

    private static TextReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SequenceFile: file not found: {path}", path);
        Stream stream = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            stream = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress);
        return new StreamReader(stream);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>The lines of a text, trailing white space cut, counted from 1 for messages.</summary>
    private sealed class NumberedLines(TextReader reader)
    {
        public int Number { get; private set; }

        public string? Next()
        {
            string? line = reader.ReadLine();
            if (line is null) return null;
            Number++;
            return line.TrimEnd();
        }
    }

    /// <summary>Collects one record at a time, checking symbols against the alphabet as lines arrive.</summary>
    private sealed class Builder(string source, Alphabet? alphabet, UnknownSymbols policy, char? replacement, bool upperCase)
    {
        private readonly List<SequenceRecord> _records = [];
        private readonly List<UnknownSymbol> _unknown = [];
        private readonly StringBuilder _sequence = new();
        private readonly char _replacement = replacement ?? alphabet?.PadSymbol ?? 'N';
        private string _description = "";
        private int _line;

        public string Id { get; private set; } = "";
        public bool InRecord { get; private set; }
        public int Length => _sequence.Length;

        public void Start(string header, int line)
        {
            string text = header[1..].Trim();
            int space = text.IndexOfAny([' ', '\t']);
            Id = space < 0 ? text : text[..space];
            _description = space < 0 ? "" : text[(space + 1)..].Trim();
            if (Id.Length == 0) throw new DataFormatException(
                $"{source}: line {line}: the record header has no identifier.");
            _line = line;
            _sequence.Clear();
            InRecord = true;
        }

        public void Append(string text, int line)
        {
            for (int column = 0; column < text.Length; column++)
            {
                char symbol = text[column];
                if (char.IsWhiteSpace(symbol)) continue;
                if (upperCase) symbol = char.ToUpperInvariant(symbol);
                if (alphabet is not null && alphabet.IndexOf(symbol) < 0)
                {
                    if (policy == UnknownSymbols.Error)
                        throw new DataFormatException(
                            $"{source}: line {line}, column {column + 1}: symbol '{symbol}' of record \"{Id}\" is " +
                            $"not in the alphabet " +
                            $"\"{alphabet.Symbols}\". Pass unknown: UnknownSymbols.Replace to map such symbols, " +
                            $"or Report to list them.");
                    _unknown.Add(new UnknownSymbol(symbol, line, column + 1, Id, _sequence.Length));
                    if (policy == UnknownSymbols.Replace) symbol = _replacement;
                }
                _sequence.Append(symbol);
            }
        }

        public void Finish(string? quality)
        {
            if (!InRecord) return;
            _records.Add(new SequenceRecord(Id, _description, _sequence.ToString(), quality, _line));
            InRecord = false;
        }

        public SequenceFile Build() => new(source, _records, _unknown);
    }
}
