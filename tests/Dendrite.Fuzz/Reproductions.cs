using System.Text;
using System.Text.Json.Nodes;
using Dendrite.IO;

namespace Dendrite.Fuzz;

/// <summary>
/// The small hostile files of issue 20 in our scope, written as regression inputs (tests/Dendrite.Tests/Reliability/
/// FuzzRegressions/&lt;format&gt;/): each must be refused at once, with a clean message, by its format's reader.
/// </summary>
public static class Reproductions
{
    public static void WriteAll(string dir)
    {
        // A 176-byte model file: GRU(num_layers = 2^31 − 1) used to build layer after layer and never finish.
        Write(dir, "model", "gru-num-layers-2147483647.safetensors", ModelWithoutWeights(
            """{"type":"GRU","input_size":1,"hidden_size":1,"num_layers":2147483647}"""));
        // A 300-byte file describing Linear(46000, 46000): 8.5 GB were allocated before the missing weights were noticed.
        Write(dir, "model", "linear-46000x46000-no-weights.safetensors", ModelWithoutWeights(
            """{"type":"Sequential","children":{"0":{"type":"Linear","in_features":46000,"out_features":46000,"bias":true}}}"""));
        Write(dir, "model", "architecture-duplicate-key.safetensors", ModelWithoutWeights(
            """{"type":"Sequential","children":{"0":{"type":"ReLU"},"0":{"type":"Tanh"}}}"""));
        // IDX dimensions [16, 2^30, 2^30] with no data: the element count wrapped to 0 and the header passed.
        Write(dir, "idx", "images-16x2p30x2p30-no-data.idx", IdxFormat.Idx([16, 1 << 30, 1 << 30], []));
        Write(dir, "architecture", "duplicate-key.json", Encoding.UTF8.GetBytes(
            """{"type":"Linear","in_features":2,"in_features":3,"out_features":1}"""));
        Write(dir, "checkpoint", "rng-word-17-hex-digits.ckpt.safetensors", CheckpointWithRngWord("1ffffffffffffffff"));
        // A PNG whose second chunk has a type of NUL bytes: stb_image's message quoted it raw.
        var png = Png.Encode([1, 2, 3, 4], 2, 2, 1);
        png[37] = png[38] = png[39] = png[40] = 0;
        Write(dir, "png", "nul-chunk-type.png", png);
    }

    private static byte[] ModelWithoutWeights(string architecture) => SafeTensorsBytes.Write(
        new Dictionary<string, Tensor>(), new Dictionary<string, string> { [ModelFile.ArchitectureKey] = architecture });

    private static byte[] CheckpointWithRngWord(string word)
    {
        var seed = new CheckpointFormat().Seeds[0].Bytes;
        var (header, data) = SafeTensorsBytes.Split(seed)!.Value;
        var root = JsonNode.Parse(header)!.AsObject();
        var metadata = root["__metadata__"]!.AsObject();
        var state = JsonNode.Parse(metadata[Checkpoint.MetadataKey]!.GetValue<string>())!.AsObject();
        state["rng"]!["default"]![0] = word;
        metadata[Checkpoint.MetadataKey] = state.ToJsonString();
        return SafeTensorsBytes.Join(Pad(root.ToJsonString()), data);
    }

    // The format wants the data 8-byte aligned; the reader accepts any header length, but keep to the format.
    private static string Pad(string header) => header + new string(' ', (8 - Encoding.UTF8.GetByteCount(header) % 8) % 8);

    private static void Write(string dir, string format, string name, byte[] bytes)
    {
        Directory.CreateDirectory(Path.Combine(dir, format));
        File.WriteAllBytes(Path.Combine(dir, format, name), bytes);
        Console.WriteLine($"{Path.Combine(dir, format, name)} ({bytes.Length} bytes)");
    }
}
