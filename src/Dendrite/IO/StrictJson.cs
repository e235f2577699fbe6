using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.Data;

namespace Dendrite.IO;

/// <summary>
/// JSON from a file, parsed with the checks <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/>
/// leaves out: a key that appears twice in one object is an error naming the file and the key (JsonObject would
/// otherwise fail on first access with "An item with the same key has already been added", naming neither).
/// </summary>
public static class StrictJson
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="where"/> begins every message ("model.safetensors: architecture").</summary>
    /// <exception cref="InvalidDataException">The text is not JSON, or an object repeats a key.</exception>
    public static JsonNode? Parse(string text, string where)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            CheckUniqueKeys(document.RootElement, "$", where);
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: not valid JSON: {MessageText.OneLine(e.Message)}", e);
        }
    }

    private static void CheckUniqueKeys(JsonElement element, string path, string where)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (!keys.Add(property.Name))
                        throw new InvalidDataException(
                            $"{where}: key \"{MessageText.Printable(property.Name)}\" appears twice in {MessageText.Printable(path)}.");
                    CheckUniqueKeys(property.Value, $"{path}.{property.Name}", where);
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray()) CheckUniqueKeys(item, $"{path}[{i++}]", where);
                break;
        }
    }
}
