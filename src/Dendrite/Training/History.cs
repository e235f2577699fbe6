namespace Dendrite.Training;

/// <summary>Per-epoch values of every logged quantity ("loss", "accuracy", "val_loss", …), as Keras' History.</summary>
public sealed class History
{
    private readonly Dictionary<string, List<double>> _values = [];

    public IReadOnlyDictionary<string, List<double>> Values => _values;

    /// <summary>The values of <paramref name="key"/>, one per epoch.</summary>
    public IReadOnlyList<double> this[string key] =>
        _values.TryGetValue(key, out var list) ? list : throw new KeyNotFoundException($"History: no values logged under \"{key}\"; logged: {string.Join(", ", _values.Keys)}.");

    public int Epochs => _values.Count == 0 ? 0 : _values.Values.Max(v => v.Count);

    /// <summary>Appends one epoch's logs (a run resumed from a checkpoint adds the saved epochs first).</summary>
    public void Add(IReadOnlyDictionary<string, double> logs)
    {
        foreach (var (key, value) in logs)
        {
            if (!_values.TryGetValue(key, out var list)) _values[key] = list = [];
            list.Add(value);
        }
    }

    /// <summary>Each epoch's logs, in order (an epoch lacks the keys it did not log).</summary>
    public IEnumerable<IReadOnlyDictionary<string, double>> Rows()
    {
        for (int e = 0; e < Epochs; e++)
            yield return _values.Where(kv => e < kv.Value.Count).ToDictionary(kv => kv.Key, kv => kv.Value[e]);
    }

    /// <summary>The history as CSV: a header of keys, then one row per epoch.</summary>
    public string ToCsv()
    {
        var keys = _values.Keys.ToList();
        var sb = new System.Text.StringBuilder("epoch," + string.Join(",", keys) + "\n");
        for (int e = 0; e < Epochs; e++)
            sb.Append(e + 1).Append(',').AppendJoin(",", keys.Select(k => e < _values[k].Count ? _values[k][e].ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "")).Append('\n');
        return sb.ToString();
    }
}
