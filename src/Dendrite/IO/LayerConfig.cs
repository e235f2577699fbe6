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
    public float Float(string key) => Read(key, n => n.GetValue<float>(), "a number");
    public float Float(string key, float fallback) => Has(key) ? Float(key) : fallback;
    public bool Bool(string key) => Read(key, n => n.GetValue<bool>(), "true or false");
    public bool Bool(string key, bool fallback) => Has(key) ? Bool(key) : fallback;
    public string String(string key) => Read(key, n => n.GetValue<string>(), "a string");
    public string String(string key, string fallback) => Has(key) ? String(key) : fallback;
    public int[] Ints(string key) => Read(key, n => n.AsArray().Select(v => v?.GetValue<int>() ?? throw new FormatException()).ToArray(), "an array of integers");

    private T Read<T>(string key, Func<JsonNode, T> read, string what)
    {
        if (!_json.TryGetPropertyValue(key, out var node) || node is null)
            throw new InvalidDataException($"{Where}: missing \"{key}\" ({what}).");
        try
        {
            return read(node);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new InvalidDataException($"{Where}: \"{key}\" must be {what}, got {node.ToJsonString()}.", e);
        }
    }
}
