namespace Dendrite.Data;

/// <summary>
/// Labelled sequences (from <see cref="SequenceFile"/> or anywhere) as a dataset whose batches are padded to their own
/// longest sequence, not to the longest of the whole file: short batches stay short, and a recurrent model runs only
/// the steps a batch needs. <see cref="GetBatch"/> gives one-hot inputs [N, T, Size] and class indices [N];
/// <see cref="Collate"/> adds the mask and lengths, for a loop that passes them on (see
/// <see cref="DataLoader.Batches{TBatch}"/>).
/// </summary>
public sealed class SequenceDataset : ILabeledDataset, IBatchDataset
{
    private readonly string[] _sequences;
    private readonly int[] _labels;

    /// <param name="sequences">The sequences; every symbol must be in <paramref name="alphabet"/> (or its pad
    /// symbol).</param>
    /// <param name="labels">Each sequence's class index into <paramref name="classNames"/>.</param>
    public SequenceDataset(IReadOnlyList<string> sequences, IReadOnlyList<int> labels, IReadOnlyList<string> classNames,
        Alphabet alphabet)
    {
        if (sequences.Count != labels.Count)
            throw new ArgumentException($"SequenceDataset: {sequences.Count} sequences but {labels.Count} labels.");
        for (int i = 0; i < labels.Count; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException(
                    $"SequenceDataset: label {labels[i]} of sequence {i} is not a class index below " +
                    $"{classNames.Count}.");
        _sequences = [.. sequences];
        _labels = [.. labels];
        ClassNames = [.. classNames];
        Alphabet = alphabet;
    }

    /// <summary>
    /// The records of <paramref name="file"/> labelled by <paramref name="labelOf"/> (from the header, see
    /// <see cref="HeaderField"/>, or from a side table, see <see cref="LabelsFromTable"/>). Classes are the distinct
    /// labels sorted ordinally unless <paramref name="classNames"/> gives them.
    /// </summary>
    /// <exception cref="DataFormatException">A record has no label or one outside <paramref name="classNames"/>; names
    /// the file and line.</exception>
    public static SequenceDataset FromRecords(SequenceFile file, Func<SequenceRecord, string?> labelOf, Alphabet alphabet,
        IReadOnlyList<string>? classNames = null)
    {
        var names = new string[file.Records.Count];
        for (int i = 0; i < names.Length; i++)
        {
            var record = file.Records[i];
            names[i] = labelOf(record) ?? throw new DataFormatException(
                $"{file.Source}: line {record.Line}: no label for record \"{record.Id}\".");
        }
        string[] classes = classNames is null ? [.. names.Distinct().Order(StringComparer.Ordinal)] : [.. classNames];
        var index = classes.Select((c, k) => (c, k)).ToDictionary(p => p.c, p => p.k, StringComparer.Ordinal);
        var labels = new int[names.Length];
        for (int i = 0; i < names.Length; i++)
            labels[i] = index.TryGetValue(names[i], out int k) ? k : throw new DataFormatException(
                $"{file.Source}: line {file.Records[i].Line}: label \"{names[i]}\" of record " +
                $"\"{file.Records[i].Id}\" is not one of {string.Join(", ", classes)}.");
        return new SequenceDataset([.. file.Records.Select(r => r.Sequence)], labels, classes, alphabet);
    }

    /// <summary>
    /// A label taken from the header's "key=value" words (">seq7 label=promoter" with key "label"), as many FASTA
    /// exports write them; null when the header lacks the key.
    /// </summary>
    public static Func<SequenceRecord, string?> HeaderField(string key) => record =>
        record.Description.Split([' ', '\t', ';', '|'], StringSplitOptions.RemoveEmptyEntries)
            .Select(word => word.Split('=', 2))
            .FirstOrDefault(pair => pair.Length == 2 && pair[0] == key)?[1];

    /// <summary>
    /// Labels from a side table: the row whose <paramref name="idColumn"/> is the record's id gives
    /// <paramref name="labelColumn"/>.
    /// </summary>
    /// <exception cref="DataFormatException">An id appears twice in the table.</exception>
    public static Func<SequenceRecord, string?> LabelsFromTable(Table table, string idColumn, string labelColumn)
    {
        var byId = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int r = 0; r < table.RowCount; r++)
            if (!byId.TryAdd(table.Cell(r, idColumn), table.Cell(r, labelColumn)))
                throw new DataFormatException(
                    $"{table.Source}: line {table.LineOf(r)}: id \"{table.Cell(r, idColumn)}\" appears twice.");
        return record => byId.GetValueOrDefault(record.Id);
    }

    public Alphabet Alphabet { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public IReadOnlyList<string> Sequences => _sequences;
    public int Count => _sequences.Length;

    public int LabelOf(int index) => _labels[index];

    public (Tensor Input, Tensor Target) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new IndexOutOfRangeException(
                $"SequenceDataset: index {index} is out of range for {Count} sequences.");
            return (Alphabet.OneHot(_sequences[index]), Tensor.FromArray([_labels[index]], []));
        }
    }

    public (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices)
    {
        var (batch, targets) = Collate(indices);
        return (batch.Inputs, targets);
    }

    /// <summary>
    /// The sequences at <paramref name="indices"/> padded to the longest of them, with mask and lengths, and their
    /// labels [N].
    /// </summary>
    public (SequenceBatch Batch, Tensor Targets) Collate(ReadOnlySpan<int> indices)
    {
        var sequences = new string[indices.Length];
        var targets = Tensor.Empty(indices.Length);
        var t = targets.Data;
        for (int k = 0; k < indices.Length; k++)
        {
            if ((uint)indices[k] >= (uint)Count)
                throw new IndexOutOfRangeException(
                    $"SequenceDataset: index {indices[k]} is out of range for {Count} sequences.");
            sequences[k] = _sequences[indices[k]];
            t[k] = _labels[indices[k]];
        }
        return (Alphabet.Batch(sequences), targets);
    }

    /// <summary>
    /// <see cref="Collate"/>'s padded inputs, labels and mask as a <see cref="Batch"/>: what <c>Fit</c> takes, so a
    /// model implementing <c>IMultiInputModule</c> gets the mask with its inputs.
    /// </summary>
    public Batch BatchOf(ReadOnlySpan<int> indices)
    {
        var (batch, targets) = Collate(indices);
        return new Batch([batch.Inputs], targets, batch.Mask);
    }
}
