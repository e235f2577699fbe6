using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Dendrite.Fuzz;

/// <summary>
/// Ways to damage a valid file, each a function of a seeded <see cref="Random"/>: bit flips, byte insertion and deletion,
/// integer fields set to boundary values (0, −1, 2^31 − 1, 2^63 …) in both byte orders, truncation, splicing two
/// seeds, text tokens that parsers trip on, and for JSON, edits of the parsed tree (values swapped for boundary numbers
/// and wrong types, keys deleted or repeated, deep nesting).
/// </summary>
public static class Mutators
{
    private static readonly ulong[] s_boundaries =
    [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        0x4000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 7,
    ];

    /// <summary>Text that trips parsers: separators, quotes, line breaks, NUL, numbers past float, broken UTF-8.</summary>
    private static readonly string[] s_tokens =
    [
        ",", ";", "\t", "\"", "\"\"", "\n", "\r", "\r\n", "\0", ">", "@", "+", "-", "NaN", "inf", "-inf", "1e39", "-1e39",
        "1e-46", "9999999999999999999999", "\u00e9", "\ud83e\udde0", "\u001b[31m", "\\", "{", "}", "[", "]", ":", "null",
        "true", " ", "\u00a0", "\ufeff", "#", "?", "NA", "'", "\v", "\f",
    ];

    private static readonly JsonNode?[] s_jsonValues =
    [
        0, -1, 1, 2, int.MaxValue, -(long)int.MaxValue - 1, 2147483648L, 4294967296L, long.MaxValue, 46000, 65536,
        1e308, -1e308, 0.5, -0.0, 1e-320, "x", "", "\u0000", new string('A', 5000), "NaN", "Infinity", "-1",
        "ffffffffffffffff0", true, false, null, new JsonArray(), new JsonObject(), new JsonArray(0, 0), new JsonArray(-1),
    ];

    /// <summary>Applies one to three byte-level mutations to <paramref name="data"/>.</summary>
    public static byte[] Bytes(Random rng, byte[] data, IReadOnlyList<byte[]> others, int[] interestingOffsets, StringBuilder recipe)
    {
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds; r++) data = OneByteMutation(rng, data, others, interestingOffsets, recipe);
        return data;
    }

    private static byte[] OneByteMutation(Random rng, byte[] data, IReadOnlyList<byte[]> others, int[] offsets, StringBuilder recipe)
    {
        var list = new List<byte>(data);
        int Pos(int extra = 0) => list.Count + extra == 0 ? 0 : rng.Next(list.Count + extra);
        switch (rng.Next(10))
        {
            case 0:
            {
                int flips = 1 + rng.Next(8);
                for (int i = 0; i < flips && list.Count > 0; i++)
                {
                    int p = Pos();
                    list[p] ^= (byte)(1 << rng.Next(8));
                }
                recipe.Append($"flip{flips};");
                break;
            }
            case 1:
            {
                if (list.Count == 0) break;
                int p = Pos();
                list[p] = (byte)(rng.Next(4) switch { 0 => 0, 1 => 0xFF, 2 => 0x80, _ => rng.Next(256) });
                recipe.Append($"set@{p};");
                break;
            }
            case 2:
            {
                int p = Pos(1), n = 1 + rng.Next(rng.Next(2) == 0 ? 16 : 512);
                var bytes = new byte[n];
                rng.NextBytes(bytes);
                list.InsertRange(p, bytes);
                recipe.Append($"insert{n}@{p};");
                break;
            }
            case 3:
            {
                if (list.Count == 0) break;
                int p = Pos(), n = Math.Min(list.Count - p, 1 + rng.Next(rng.Next(2) == 0 ? 8 : 256));
                list.RemoveRange(p, n);
                recipe.Append($"delete{n}@{p};");
                break;
            }
            case 4:
            {
                if (list.Count == 0) break;
                int p = Pos(), n = Math.Min(list.Count - p, 1 + rng.Next(64));
                list.InsertRange(Pos(1), list.GetRange(p, n));
                recipe.Append($"dup{n}@{p};");
                break;
            }
            case 5:
            {
                int p = Pos(1);
                list.RemoveRange(p, list.Count - p);
                recipe.Append($"truncate@{p};");
                break;
            }
            case 6:
            case 7:
            {
                // Integer fields: most headers keep sizes and offsets near the start, at the offsets the format names.
                int width = 1 << rng.Next(4);
                int p = offsets.Length > 0 && rng.Next(3) > 0 ? offsets[rng.Next(offsets.Length)] : Pos();
                if (p + width > list.Count) break;
                ulong value = s_boundaries[rng.Next(s_boundaries.Length)];
                if (rng.Next(4) == 0) value = unchecked(value + (ulong)(rng.Next(3) - 1));
                Span<byte> bytes = stackalloc byte[8];
                if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
                else BinaryPrimitives.WriteUInt64BigEndian(bytes, value << (64 - 8 * width) >> (64 - 8 * width) << (64 - 8 * width));
                var field = rng.Next(2) == 0 || width == 8 ? bytes[..width] : bytes[(8 - width)..];
                for (int i = 0; i < width; i++) list[p + i] = field[i];
                recipe.Append($"int{width}=0x{value:X}@{p};");
                break;
            }
            case 8:
            {
                var other = others[rng.Next(others.Count)];
                int a = Pos(1), b = other.Length == 0 ? 0 : rng.Next(other.Length);
                list.RemoveRange(a, list.Count - a);
                list.AddRange(other.AsSpan(b).ToArray());
                recipe.Append($"splice@{a}+{b};");
                break;
            }
            default:
            {
                string token = s_tokens[rng.Next(s_tokens.Length)];
                int p = Pos(1);
                list.InsertRange(p, Encoding.UTF8.GetBytes(token));
                recipe.Append($"token@{p};");
                break;
            }
        }
        return [.. list];
    }

    /// <summary>Line-level edits for text formats: lines deleted, repeated, swapped, cut or joined.</summary>
    public static string Lines(Random rng, string text, StringBuilder recipe)
    {
        var lines = text.Split('\n').ToList();
        int i = rng.Next(lines.Count), j = rng.Next(lines.Count);
        switch (rng.Next(5))
        {
            case 0: lines.RemoveAt(i); recipe.Append($"dropline{i};"); break;
            case 1: lines.Insert(j, lines[i]); recipe.Append($"dupline{i};"); break;
            case 2: (lines[i], lines[j]) = (lines[j], lines[i]); recipe.Append($"swap{i},{j};"); break;
            case 3: lines[i] = lines[i][..rng.Next(lines[i].Length + 1)]; recipe.Append($"cutline{i};"); break;
            default: lines[i] += s_tokens[rng.Next(s_tokens.Length)] + lines[j]; recipe.Append($"joinline{i},{j};"); break;
        }
        return string.Join('\n', lines);
    }

    /// <summary>One to three edits of the JSON tree in <paramref name="json"/>; falls back to text edits when it does not parse.</summary>
    public static string Json(Random rng, string json, StringBuilder recipe, IReadOnlyList<string> typeNames)
    {
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds; r++) json = OneJsonMutation(rng, json, recipe, typeNames);
        return json;
    }

    private static string OneJsonMutation(Random rng, string json, StringBuilder recipe, IReadOnlyList<string> typeNames)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            root = null;
        }
        if (root is null || rng.Next(8) == 0) return JsonText(rng, json, recipe);
        var nodes = new List<JsonNode>();
        try
        {
            Collect(root, nodes);
        }
        catch (ArgumentException)
        {
            // An earlier round repeated a key: JsonObject refuses to enumerate it, so edit the text instead.
            return JsonText(rng, json, recipe);
        }
        var target = nodes[rng.Next(nodes.Count)];
        switch (rng.Next(7))
        {
            case 0:
            case 1:
                Replace(root, target, rng.Next(5) == 0 && typeNames.Count > 0 ? typeNames[rng.Next(typeNames.Count)] : s_jsonValues[rng.Next(s_jsonValues.Length)]?.DeepClone(), recipe);
                break;
            case 2:
                if (target.Parent is JsonObject o) o.Remove(target.GetPropertyName());
                else if (target.Parent is JsonArray a) a.Remove(target);
                recipe.Append("jdelete;");
                break;
            case 3:
                if (target is JsonArray arr && arr.Count > 0)
                {
                    int copies = rng.Next(2) == 0 ? 1 : rng.Next(50);
                    for (int c = 0; c < copies; c++) arr.Add(arr[rng.Next(arr.Count)]?.DeepClone());
                    recipe.Append($"jrepeat{copies};");
                }
                else if (target is JsonObject obj && obj.Count > 0)
                {
                    var (key, value) = obj.ElementAt(rng.Next(obj.Count));
                    obj[key + rng.Next(3)] = value?.DeepClone();
                    recipe.Append("jaddkey;");
                }
                break;
            case 4:
            {
                // Deep nesting: parsers that recurse without a limit overflow their stack.
                int depth = rng.Next(2) == 0 ? 70 : 5000;
                Replace(root, target, "@@nest@@", recipe);
                string nested = new string('[', depth) + new string(']', depth);
                return ReferenceEquals(root, target) ? nested : root.ToJsonString().Replace("\"@@nest@@\"", nested);
            }
            case 5:
                if (target is JsonValue v && v.TryGetValue(out long n))
                    Replace(root, target, rng.Next(3) switch { 0 => n * 2 + 1, 1 => -n, _ => n + 1 }, recipe);
                break;
            default:
                if (target is JsonValue s && s.TryGetValue(out string? str))
                    Replace(root, target, rng.Next(2) == 0 ? str + "\u0001\n" : str.ToUpperInvariant(), recipe);
                break;
        }
        return root.ToJsonString();
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject o)
            foreach (var (_, child) in o.ToList())
                if (child is not null) Collect(child, nodes);
        if (node is JsonArray a)
            foreach (var child in a.ToList())
                if (child is not null) Collect(child, nodes);
    }

    private static void Replace(JsonNode root, JsonNode target, JsonNode? value, StringBuilder recipe)
    {
        string shown = value?.ToJsonString() ?? "null";
        recipe.Append($"jset={(shown.Length <= 30 ? shown : "…")};");
        if (ReferenceEquals(root, target)) return;
        if (target.Parent is JsonObject o) o[target.GetPropertyName()] = value;
        else if (target.Parent is JsonArray a) a[a.IndexOf(target)] = value;
    }

    // Text edits JSON trees cannot express: a repeated key, an unclosed string, a cut document.
    private static string JsonText(Random rng, string json, StringBuilder recipe)
    {
        int brace = json.IndexOf('{', rng.Next(Math.Max(1, json.Length)));
        switch (rng.Next(3))
        {
            case 0 when brace >= 0:
                int colon = json.IndexOf(':', brace);
                int keyStart = json.IndexOf('"', brace);
                if (colon > keyStart && keyStart >= 0)
                {
                    string key = json[keyStart..colon];
                    recipe.Append("jdupkey;");
                    return json.Insert(brace + 1, key + ":0,");
                }
                return json;
            case 1:
                recipe.Append("jcut;");
                return json[..rng.Next(json.Length + 1)];
            default:
                recipe.Append("jtoken;");
                return json.Insert(rng.Next(json.Length + 1), s_tokens[rng.Next(s_tokens.Length)]);
        }
    }
}
