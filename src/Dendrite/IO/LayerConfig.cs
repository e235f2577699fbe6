using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dendrite.IO;

/// <summary>
/// The constructor arguments of one layer in an architecture description, read with checks: a missing or mistyped
/// value is an <see cref="InvalidDataException"/> naming the layer's path in the model ("layers 3 (Linear)") and the key.
/// </summary>
public sealed class LayerConfig
{
    private readonly JsonObject _json;

    internal LayerConfig(JsonObject json, string type, string where) => (_json, Type, Where) = (json, type, where);

    /// <summary>The registered type name ("Linear").</summary>
    public string Type { get; }

    /// <summary>Where this layer sits in the description, for messages ("model.1" → "layer \"1\" (Linear)").</summary>
    public string Where { get; }

    /// <summary>True when the description has <paramref name="key"/>.</summary>
    public bool Has(string key) => _json.ContainsKey(key);

    public int Int(string key) => Read(key, n => n.GetValue<int>(), "an integer");
    public int Int(string key, int fallback) => Has(key) ? Int(key) : fallback;

    /// <summary>An optional integer: null when <paramref name="key"/> is absent or null (Embedding's padding_idx).</summary>
    public int? NullableInt(string key) => _json[key] is null ? null : Int(key);
    public float Float(string key) => Read(key, n => n.GetValue<float>(), "a number");
    public float Float(string key, float fallback) => Has(key) ? Float(key) : fallback;
    public bool Bool(string key) => Read(key, n => n.GetValue<bool>(), "true or false");
    public bool Bool(string key, bool fallback) => Has(key) ? Bool(key) : fallback;
    public string String(string key) => Read(key, n => n.GetValue<string>(), "a string");
    public string String(string key, string fallback) => Has(key) ? String(key) : fallback;
    public int[] Ints(string key) => Read(key, n => n.AsArray().Select(v => v?.GetValue<int>() ?? throw new FormatException()).ToArray(), "an array of integers");

    /// <summary>A spatial size: one integer for both dimensions, or [h, w].</summary>
    public Size2d Size2d(string key) => Read(key, ReadSize, "an integer or [h, w]");
    public Size2d Size2d(string key, Size2d fallback) => Has(key) ? Size2d(key) : fallback;

    /// <summary>Convolution padding: "same", "valid", one integer, or [h, w].</summary>
    public ConvPadding ConvPadding(string key, ConvPadding fallback) =>
        !Has(key) ? fallback : Read<ConvPadding>(key, ReadPadding, "\"same\", \"valid\", an integer or [h, w]");

    private static ConvPadding ReadPadding(JsonNode node)
    {
        if (node is JsonValue v && v.TryGetValue(out string? mode)) return mode;
        var size = ReadSize(node);
        return (size.H, size.W);
    }

    private static Size2d ReadSize(JsonNode node) => node is JsonArray { Count: 2 } pair
        ? new Size2d(pair[0]?.GetValue<int>() ?? throw new FormatException(), pair[1]?.GetValue<int>() ?? throw new FormatException())
        : node.GetValue<int>();

    /// <summary>How a spatial size is written: one integer when both dimensions agree, as PyTorch prints it; else [h, w].</summary>
    public static JsonNode Write(Size2d size) => size.H == size.W ? JsonValue.Create(size.H) : new JsonArray(size.H, size.W);

    /// <summary>How convolution padding is written: "same", "valid", or a size.</summary>
    public static JsonNode Write(ConvPadding padding) => padding.Mode == "explicit" ? Write(padding.Amount) : JsonValue.Create(padding.Mode);

    private T Read<T>(string key, Func<JsonNode, T> read, string what)
    {
        if (!_json.TryGetPropertyValue(key, out var node) || node is null)
            throw new InvalidDataException($"{Where}: missing \"{key}\" ({what}).");
        try
        {
            return read(node);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{Where}: \"{key}\" must be {what}, got {node.ToJsonString()}.", e);
        }
    }
}
