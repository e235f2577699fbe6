using System.Globalization;
using nietras.SeparatedValues;

namespace Dendrite.Data;

/// <summary>
/// A CSV or TSV file with a header row, held as text cells: the pandas <c>read_csv</c> step of a study. Features and
/// targets are then taken by column name: <see cref="Numeric"/> for measurements, <see cref="Categorical"/> for class
/// labels (class names kept), <see cref="ToDataset"/> for both at once. Empty cells and the usual missing-value
/// markers ("NA", "NaN", "?", …) are missing; <see cref="MissingCells"/> lists them by line and column, and numeric
/// columns refuse them with a message that names each one, rather than reading them as 0.
/// </summary>
/// <remarks>
/// Parsing is done by Sep (<c>nietras.SeparatedValues</c>) rather than Sylvan.Data.Csv: both are MIT-licensed, pure
/// managed and maintained, but Sep gives each row the file lines it spans (quoted cells may hold line breaks), which
/// our error messages need, and it detects the separator from the header, so one reader serves CSV, TSV and ';' files.
/// </remarks>
public sealed class Table
{
    private static readonly HashSet<string> s_missingMarkers =
        new(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?", "-"], StringComparer.Ordinal);

    private readonly string[][] _rows;
    private readonly int[] _lines;
    private readonly Dictionary<string, int> _columnIndex;

    private Table(string source, string[] columns, string[][] rows, int[] lines)
    {
        Source = source;
        Columns = columns;
        _rows = rows;
        _lines = lines;
        _columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < columns.Length; c++)
            if (!_columnIndex.TryAdd(columns[c], c))
                throw new DataFormatException(
                    $"{source}: line 1: column name \"{MessageText.Printable(columns[c])}\" appears twice in the header.");
    }

    /// <summary>The file the table came from (or the name given to <see cref="Parse"/>), for messages.</summary>
    public string Source { get; }

    /// <summary>The header's column names, in file order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Data rows (the header not counted).</summary>
    public int RowCount => _rows.Length;

    /// <summary>
    /// Reads <paramref name="path"/>. The separator is <paramref name="separator"/> when given, else a tab for a
    /// <c>.tsv</c>/<c>.tab</c> file, else Sep's detection from the header (',', ';', tab, '|' or space).
    /// Quoted cells are unquoted and spaces around cells trimmed.
    /// </summary>
    /// <exception cref="DataFormatException">The file has no header, or a row has another number of cells than the
    /// header; the message names the file and the line.</exception>
    public static Table Read(string path, char? separator = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Table: file not found: {path}", path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        char? sep = separator ?? (extension is ".tsv" or ".tab" ? '\t' : null);
        return Parse(File.ReadAllText(path), path, sep);
    }

    /// <summary>Parses CSV/TSV <paramref name="text"/>; <paramref name="source"/> names it in messages.</summary>
    public static Table Parse(string text, string source = "<text>", char? separator = null)
    {
        var options = new SepReaderOptions(separator is { } s ? new Sep(s) : null)
        {
            HasHeader = true,
            Unescape = true,
            Trim = SepTrim.All,
            // Why: we report a ragged row ourselves, with the file name, which Sep's own message lacks.
            DisableColCountCheck = true,
            CultureInfo = CultureInfo.InvariantCulture,
        };
        using var reader = Open(options, text, source);
        if (reader.Header.IsEmpty) throw new DataFormatException(
            $"{source}: the file is empty; a header row is expected.");
        string[] columns = [.. reader.Header.ColNames];
        var rows = new List<string[]>();
        var lines = new List<int>();
        foreach (var row in reader)
        {
            // Why: a trailing blank line is common in hand-edited files and is not a row of missing values.
            if (row.ColCount == 1 && row[0].Span.IsWhiteSpace()) continue;
            if (row.ColCount != columns.Length)
                throw new DataFormatException(
                    $"{source}: line {row.LineNumberFrom}: {row.ColCount} cells, but the header has " +
                    $"{columns.Length} columns.");
            var cells = new string[columns.Length];
            for (int c = 0; c < cells.Length; c++) cells[c] = row[c].ToString();
            rows.Add(cells);
            lines.Add(row.LineNumberFrom);
        }
        return new Table(source, columns, [.. rows], [.. lines]);
    }

    private static SepReader Open(SepReaderOptions options, string text, string source)
    {
        try
        {
            return options.FromText(text);
        }
        catch (ArgumentException e)
        {
            // Sep checks the header as it opens the text: a column name that appears twice.
            throw new DataFormatException($"{source}: line 1: the header is not usable: {MessageText.Printable(e.Message)}", e);
        }
    }

    /// <summary>
    /// The text of the cell in data row <paramref name="row"/> (0-based) and <paramref name="column"/>.
    /// </summary>
    public string Cell(int row, string column) => _rows[row][IndexOf(column)];

    /// <summary>
    /// The file line (1-based, the header is line 1) on which data row <paramref name="row"/> starts.
    /// </summary>
    public int LineOf(int row) => _lines[row];

    /// <summary>
    /// Whether <paramref name="text"/> counts as a missing value: empty, or NA, N/A, NaN, nan, null, NULL, ?, -.
    /// </summary>
    public static bool IsMissing(string text) => s_missingMarkers.Contains(text);

    /// <summary>Every missing cell of <paramref name="columns"/> (all columns when null), by row and column.</summary>
    public IReadOnlyList<MissingCell> MissingCells(IReadOnlyList<string>? columns = null)
    {
        var indices = (columns ?? Columns).Select(IndexOf).ToArray();
        var missing = new List<MissingCell>();
        for (int r = 0; r < _rows.Length; r++)
            foreach (int c in indices)
                if (IsMissing(_rows[r][c])) missing.Add(new MissingCell(r, _lines[r], Columns[c]));
        return missing;
    }

    /// <summary>
    /// A table without the rows that miss a value in any of <paramref name="columns"/> (all when null).
    /// </summary>
    public Table DropMissing(IReadOnlyList<string>? columns = null)
    {
        var dropped = MissingCells(columns).Select(m => m.Row).ToHashSet();
        var keep = Enumerable.Range(0, _rows.Length).Where(r => !dropped.Contains(r)).ToArray();
        return new Table(Source, [.. Columns], [.. keep.Select(r => _rows[r])], [.. keep.Select(r => _lines[r])]);
    }

    /// <summary>The columns as floats, one row per data row: [RowCount, columns.Count].</summary>
    /// <exception cref="DataFormatException">
    /// A cell is missing or not a number; the message names the file, and each offending line and column (missing
    /// cells all at once, so one edit fixes them; see <see cref="DropMissing"/>).
    /// </exception>
    public Tensor Numeric(IReadOnlyList<string> columns)
    {
        var indices = columns.Select(IndexOf).ToArray();
        var missing = MissingCells(columns);
        if (missing.Count > 0)
        {
            var listed = string.Join("; ", missing.Take(20).Select(m => $"line {m.Line}, column \"{m.Column}\""));
            throw new DataFormatException(
                $"{Source}: {missing.Count} missing value(s) in numeric columns: " +
                $"{listed}{(missing.Count > 20 ? "; …" : "")}. " +
                "Drop those rows (DropMissing) or fill them in before reading.");
        }
        var values = Tensor.Empty(_rows.Length, indices.Length);
        var d = values.Data;
        for (int r = 0; r < _rows.Length; r++)
            for (int j = 0; j < indices.Length; j++)
            {
                string cell = _rows[r][indices[j]];
                if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                    throw new DataFormatException(
                        $"{Source}: line {_lines[r]}, column \"{Columns[indices[j]]}\" (number {indices[j] + 1}): " +
                        $"\"{MessageText.Printable(cell)}\" is not a number.");
                d[r * indices.Length + j] = v;
            }
        return values;
    }

    /// <summary>
    /// A label column as class indices [RowCount] with the class names: index k stands for <c>Classes[k]</c>. Classes
    /// are <paramref name="classes"/> in that order when given (so train and test files agree), else the distinct
    /// values sorted ordinally, as scikit-learn's <c>LabelEncoder</c> does.
    /// </summary>
    /// <exception cref="DataFormatException">A label is missing or not one of <paramref name="classes"/>; the message
    /// names the line.</exception>
    public (Tensor Indices, string[] Classes) Categorical(string column, IReadOnlyList<string>? classes = null)
    {
        int c = IndexOf(column);
        string[] names = classes is null
            ? [.. _rows.Select(row => row[c]).Where(v => !IsMissing(v)).Distinct().Order(StringComparer.Ordinal)]
            : [.. classes];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < names.Length; k++) index[names[k]] = k;
        var indices = Tensor.Empty(_rows.Length);
        var d = indices.Data;
        for (int r = 0; r < _rows.Length; r++)
        {
            string cell = _rows[r][c];
            if (IsMissing(cell))
                throw new DataFormatException(
                    $"{Source}: line {_lines[r]}, column \"{column}\": the label is missing.");
            if (!index.TryGetValue(cell, out int k))
                throw new DataFormatException(
                    $"{Source}: line {_lines[r]}, column \"{MessageText.Printable(column)}\": \"{MessageText.Printable(cell)}\" is not one of the classes " +
                    $"{MessageText.Printable(string.Join(", ", names))}.");
            d[r] = k;
        }
        return (indices, names);
    }

    /// <summary>
    /// Features and target as a dataset: inputs [N, F] from <paramref name="features"/> (every other column when
    /// null), targets [N] as class indices (<paramref name="categoricalTarget"/>) or as numbers (regression).
    /// </summary>
    public TableData ToDataset(string target, IReadOnlyList<string>? features = null, bool categoricalTarget = true)
    {
        IndexOf(target);
        string[] featureNames = [.. features ?? Columns.Where(c => c != target)];
        var x = Numeric(featureNames);
        if (!categoricalTarget)
        {
            var y = Numeric([target]);
            return new TableData(new TensorDataset(x, y.Reshape(RowCount)), featureNames, target, null);
        }
        var (indices, classes) = Categorical(target);
        return new TableData(new TensorDataset(x, indices), featureNames, target, classes);
    }

    private int IndexOf(string column) => _columnIndex.TryGetValue(column, out int c) ? c
        : throw new ArgumentException(
            $"Table {Source}: no column \"{column}\"; the columns are {string.Join(", ", Columns)}.", nameof(column));
}

/// <summary>A missing cell: data row (0-based), file line (1-based, header is line 1) and column name.</summary>
public readonly record struct MissingCell(int Row, int Line, string Column);

/// <summary>A table read into a dataset, with the names that give its numbers meaning.</summary>
/// <param name="Classes">The class names of a categorical target (index k is Classes[k]); null for regression.</param>
public sealed record TableData(TensorDataset Dataset, string[] FeatureNames, string TargetName, string[]? Classes);
