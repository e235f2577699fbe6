using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;


namespace Dendrite.Cli;

/// <summary>
/// One object of a run file, read with checks: every key must be one the section knows, and every value of the type
/// the key takes. A mistake is an <see cref="InvalidDataException"/> that names the file and the key
/// (<c>run.json: unknown key "optimiser" at the top level (known: data, model, …)</c>), which the CLI prints as one line.
/// </summary>
internal sealed class RunJson
{
    private readonly JsonObject _json;

    private RunJson(JsonObject json, string file, string section) => (_json, File, Section) = (json, file, section);

    /// <summary>The run file's path as given, the start of every message.</summary>
    public string File { get; }

    /// <summary>Where this object sits: "" for the top level, else the key path ("data", "schedule").</summary>
    public string Section { get; }

    /// <summary>
    /// The top-level object of <paramref name="text"/>, with its keys checked against <paramref name="known"/>.
    /// </summary>
    public static RunJson Root(string text, string file, IReadOnlyList<string> known)
    {
        // StrictJson refuses a key that appears twice (the second would silently win otherwise).
        var node = IO.StrictJson.Parse(text, file);
        if (node is not JsonObject json)
            throw new InvalidDataException($"{file}: a run description is a JSON object ({{\"data\": …, \"model\": …}}), got {Kind(node)}.");
        return new RunJson(json, file, "").Checked(known);
    }

    private string Where => Section.Length == 0 ? "at the top level" : $"in \"{Section}\"";

    private string KeyName(string key) => Section.Length == 0 ? key : $"{Section}.{key}";

    private RunJson Checked(IReadOnlyList<string> known)
    {
        foreach (var (key, _) in _json)
            if (!known.Contains(key))
                throw new InvalidDataException(
                    $"{File}: unknown key \"{Printable(key)}\" {Where} (known: {string.Join(", ", known)}).");
        return this;
    }

    public bool Has(string key) => _json.ContainsKey(key);

    /// <summary>The raw value of <paramref name="key"/> (null when absent).</summary>
    public JsonNode? Node(string key) => _json[key];

    /// <summary>The nested object under <paramref name="key"/>, its keys checked; null when absent.</summary>
    public RunJson? Object(string key, IReadOnlyList<string> known)
    {
        if (!_json.TryGetPropertyValue(key, out var node) || node is null) return null;
        if (node is not JsonObject json) throw Wrong(key, "an object", node);
        return new RunJson(json, File, KeyName(key)).Checked(known);
    }

    /// <summary>A nested object given in place of the value at <paramref name="key"/> (for values that are a name or an object).</summary>
    public RunJson ObjectAt(string key, JsonObject json, IReadOnlyList<string> known) => new RunJson(json, File, KeyName(key)).Checked(known);

    public string? String(string key) => ReadObject(key, n => n.GetValue<string>(), "a string");

    public string RequiredString(string key) => String(key) ?? throw Missing(key, "a string");

    /// <summary>A string that must be one of <paramref name="choices"/>.</summary>
    public string? Choice(string key, IReadOnlyList<string> choices)
    {
        string? value = String(key);
        if (value is not null && !choices.Contains(value))
            throw new InvalidDataException($"{File}: \"{KeyName(key)}\" must be one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}; " +
                $"got \"{Printable(value)}\".");
        return value;
    }

    public int? Int(string key, int min = int.MinValue)
    {
        int? value = Read(key, n => n.GetValue<int>(), "an integer");
        if (value < min) throw new InvalidDataException($"{File}: \"{KeyName(key)}\" must be at least {min}, got {value}.");
        return value;
    }

    /// <summary>A seed: a whole number from 0 to 2^64 − 1.</summary>
    public ulong? UInt64(string key) => Read(key, n => n.GetValue<ulong>(), "a non-negative integer");

    /// <summary>A finite number within [<paramref name="min"/>, <paramref name="max"/>]; open ends when the flags say so.</summary>
    public double? Number(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity,
        bool minOpen = false, bool maxOpen = false)
    {
        double? value = Read(key, n => n.GetValue<double>(), "a number");
        if (value is not { } v) return null;
        bool below = minOpen ? !(v > min) : !(v >= min), above = maxOpen ? !(v < max) : !(v <= max);
        if (below || above || !double.IsFinite(v))
        {
            string range = (double.IsNegativeInfinity(min), double.IsPositiveInfinity(max)) switch
            {
                (false, true) => minOpen ? $"above {Text(min)}" : $"at least {Text(min)}",
                (true, false) => maxOpen ? $"below {Text(max)}" : $"at most {Text(max)}",
                (false, false) => $"in {(minOpen ? "(" : "[")}{Text(min)}, {Text(max)}{(maxOpen ? ")" : "]")}",
                _ => "finite",
            };
            throw new InvalidDataException($"{File}: \"{KeyName(key)}\" must be a number {range}, got {Text(v)}.");
        }
        return v;
    }

    public string[]? Strings(string key) =>
        ReadObject(key, n => n.AsArray().Select(v => v?.GetValue<string>() ?? throw new FormatException()).ToArray(), "a list of strings");

    public double[]? Numbers(string key) =>
        ReadObject(key, n => n.AsArray().Select(v => v?.GetValue<double>() ?? throw new FormatException()).ToArray(), "a list of numbers");

    /// <summary>[height, width] of positive integers (one integer for a square).</summary>
    public (int H, int W)? Size(string key)
    {
        var size = Read(key, n => n is JsonArray { Count: 2 } pair
            ? (pair[0]?.GetValue<int>() ?? throw new FormatException(), pair[1]?.GetValue<int>() ?? throw new FormatException())
            : (n.GetValue<int>(), n.GetValue<int>()), "[height, width] or one integer");
        if (size is { } s && (s.Item1 < 1 || s.Item2 < 1))
            throw new InvalidDataException($"{File}: \"{KeyName(key)}\" must be positive, got [{s.Item1}, {s.Item2}].");
        return size;
    }

    /// <summary>A path in the file, relative to the file's directory (absolute paths stay as they are).</summary>
    public string? Path(string key) => String(key) is { } path ? Resolve(path) : null;

    public string Resolve(string path) =>
        System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(File))!, path);

    public InvalidDataException Missing(string key, string what) =>
        new($"{File}: missing \"{KeyName(key)}\" {Where} ({what}).");

    public InvalidDataException Wrong(string key, string what, JsonNode? node) =>
        new($"{File}: \"{KeyName(key)}\" must be {what}, got {Clip(node?.ToJsonString() ?? "null")}.");

    /// <summary>A message about the value of <paramref name="key"/>, with the file and key in front.</summary>
    public InvalidDataException Error(string key, string message) => new($"{File}: \"{KeyName(key)}\": {message}");

    private T? Read<T>(string key, Func<JsonNode, T> read, string what) where T : struct =>
        TryRead(key, read, what, out var value) ? value : null;

    private T? ReadObject<T>(string key, Func<JsonNode, T> read, string what) where T : class =>
        TryRead(key, read, what, out var value) ? value : null;

    /// <summary>False when <paramref name="key"/> is absent or null; a value <paramref name="read"/> cannot take is an error naming the key.</summary>
    private bool TryRead<T>(string key, Func<JsonNode, T> read, string what, out T value)
    {
        value = default!;
        if (!_json.TryGetPropertyValue(key, out var node) || node is null) return false;
        try
        {
            value = read(node);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or OverflowException)
        {
            throw Wrong(key, what, node);
        }
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "a list",
        _ => node.GetValueKind() == JsonValueKind.String ? "a string" : node.ToJsonString(),
    };

    private static string Clip(string text) => Printable(text.Length <= 40 ? text : text[..40] + "…");

    private static string Printable(string text) => Program.OneLine(text);

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
