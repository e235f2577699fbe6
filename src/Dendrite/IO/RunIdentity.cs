using System.Text.Json.Nodes;

namespace Dendrite.IO;

/// <summary>
/// Which training run a checkpoint belongs to, as text: <see cref="Identity"/> (what makes it the same run: seed, model,
/// data) and <see cref="Hyperparameters"/> (settings a resume may change only when asked: learning rate, batch size).
/// Stored in every checkpoint under "run", so a resume can refuse another run's files and say what changed.
/// </summary>
public sealed record RunIdentity(IReadOnlyDictionary<string, string> Identity, IReadOnlyDictionary<string, string> Hyperparameters)
{
    /// <summary>The identity entries that differ from <paramref name="other"/>'s, as "key a → b" (empty: the same run).</summary>
    public IReadOnlyList<string> IdentityDifferences(RunIdentity other) => Differences(Identity, other.Identity);

    /// <summary>The hyperparameters that differ from <paramref name="other"/>'s, as "key a → b" (this run's value first).</summary>
    public IReadOnlyList<string> HyperparameterChanges(RunIdentity other) => Differences(Hyperparameters, other.Hyperparameters);

    private static List<string> Differences(IReadOnlyDictionary<string, string> saved, IReadOnlyDictionary<string, string> now) =>
        [.. saved.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(k => saved.GetValueOrDefault(k) != now.GetValueOrDefault(k))
            .Select(k => $"{k} {saved.GetValueOrDefault(k) ?? "(none)"} → {now.GetValueOrDefault(k) ?? "(none)"}")];

    internal JsonObject ToJson() => new()
    {
        ["identity"] = Object(Identity),
        ["hyperparameters"] = Object(Hyperparameters),
    };

    private static JsonObject Object(IReadOnlyDictionary<string, string> values) =>
        new(values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));

    internal static RunIdentity FromJson(JsonObject json) => new(Strings(json, "identity"), Strings(json, "hyperparameters"));

    private static Dictionary<string, string> Strings(JsonObject json, string key) =>
        (json[key] ?? throw new FormatException($"missing \"{key}\"")).AsObject()
            .ToDictionary(kv => kv.Key, kv => (kv.Value ?? throw new FormatException($"\"{kv.Key}\" is null")).GetValue<string>());
}
