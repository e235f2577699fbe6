using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.NN;

namespace Dendrite.IO;

/// <summary>
/// A model in one file: a safetensors file whose tensors are the state dict under PyTorch's names, and whose
/// "__metadata__" holds the architecture as JSON (<see cref="Architecture"/>) and, when known, the shape of one input
/// sample. PyTorch reads the weights with <c>safetensors.torch.load_file</c>; Dendrite rebuilds the whole model with
/// <see cref="Load"/>. The write is atomic.
/// </summary>
public static class ModelFile
{
    /// <summary>Metadata key of the architecture JSON.</summary>
    public const string ArchitectureKey = "dendrite.architecture";

    /// <summary>Metadata key of the input sample shape without the batch dimension, as JSON ("[1, 28, 28]").</summary>
    public const string InputShapeKey = "dendrite.input_shape";

    /// <summary>Metadata key of the class names, a JSON list: output k of a classifier is class names[k].</summary>
    public const string ClassesKey = "dendrite.classes";

    /// <summary>
    /// Metadata key of how raw inputs become samples, a JSON object with a "kind" ("csv": feature columns with the
    /// standardiser's mean and std; "image": size, channels, scaling, normalisation; "fasta": alphabet and length).
    /// </summary>
    public const string PreprocessingKey = "dendrite.preprocessing";

    /// <summary>Metadata key of the training run's final metrics, a JSON object of name → number.</summary>
    public const string MetricsKey = "dendrite.metrics";

    /// <summary>
    /// Saves the architecture and weights of <paramref name="model"/> to <paramref name="path"/>, with the shape of one
    /// input sample (no batch dimension) when given, so tools such as ONNX export need not ask for it.
    /// </summary>
    /// <param name="extra">More metadata (such as <see cref="ClassesKey"/>, <see cref="PreprocessingKey"/>,
    /// <see cref="MetricsKey"/>); readers that do not know a key ignore it, and every such key is optional when loading.</param>
    /// <exception cref="ArgumentException">A module inside has no registered architecture description, or an extra key is
    /// one the file writes itself (format, architecture, input shape).</exception>
    public static void Save(this Module model, string path, Shape? inputShape = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt", // what safetensors' PyTorch loader expects
            [ArchitectureKey] = Architecture.Describe(model).ToJsonString(),
        };
        if (inputShape is { } shape) metadata[InputShapeKey] = "[" + string.Join(", ", shape) + "]";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            if (!metadata.TryAdd(key, value))
                throw new ArgumentException($"ModelFile.Save: metadata key \"{key}\" is written by the model file itself.", nameof(extra));
        SafeTensors.Save(path, model.StateDict(), metadata);
    }

    /// <summary>Every metadata entry of the model file at <paramref name="path"/> (the header alone is read).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => SafeTensors.ReadMetadata(path);

    /// <summary>
    /// The most bytes of parameters and buffers a model read from a file (or an architecture description) may need,
    /// checked before any layer is built: a 300-byte file can describe Linear(46000, 46000), 8.5 GB of weights. Default
    /// 4 GiB; raise it to load larger models.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value below 1.</exception>
    public static long MaxParameterBytes
    {
        get => Interlocked.Read(ref s_maxParameterBytes);
        set => Interlocked.Exchange(ref s_maxParameterBytes, value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), $"ModelFile.MaxParameterBytes must be positive, got {value}."));
    }

    private static long s_maxParameterBytes = 4L << 30;

    /// <summary>
    /// Rebuilds the model saved at <paramref name="path"/> with its weights, on <paramref name="device"/> (the host when
    /// null; PyTorch's <c>map_location</c>), whichever device saved it; it starts in training mode, as a fresh model does.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed, has no architecture, or does not fit it.</exception>
    public static Module Load(string path, Device? device = null) => LoadWithInfo(path, device).Model;

    /// <summary>The saved model, on <paramref name="device"/> (the host when null), and its input sample shape (null when the file does not record one).</summary>
    /// <remarks>
    /// Nothing is allocated for the model before the file is known to fit it: the header is read alone, the architecture
    /// parsed and its sizes checked against <see cref="MaxParameterBytes"/>, and every tensor it implies checked present in
    /// the header with its shape; only then are the weights read and the layers built.
    /// </remarks>
    public static (Module Model, Shape? InputShape) LoadWithInfo(string path, Device? device = null)
    {
        var (entries, metadata) = SafeTensors.ReadHeader(path);
        if (!metadata.TryGetValue(ArchitectureKey, out var json))
            throw new InvalidDataException(
                $"{path}: holds weights but no architecture (no \"{ArchitectureKey}\" metadata). " +
                "Hint: build the model in code and call model.LoadWeights(path) instead.");
        Module model;
        try
        {
            var description = Architecture.Parse(json);
            // A description that needs far more tensors than the file holds cannot fit: stop listing them past the 20 that
            // a report of missing keys names.
            if (Architecture.ExpectedState(description, MaxParameterBytes, (int)Math.Min(entries.Count + 20L, Architecture.MaxTensors),
                    $"and the file holds {entries.Count}") is { } expected)
                CheckFits(path, expected, entries);
            var inputShape = ParseInputShape(path, metadata);
            var tensors = SafeTensors.Load(path);
            model = Architecture.Build(description);
            Apply(model, tensors, path, strict: true);
            if (device is not null) model.To(device);
            return (model, inputShape);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    // The same report LoadWeights gives after building, from the header and the description alone.
    private static void CheckFits(string path, IReadOnlyList<(string Name, long[] Shape)> expected, List<(string Name, int[] Shape)> entries)
    {
        var found = entries.ToDictionary(e => e.Name, e => new Shape(e.Shape));
        var own = new Dictionary<string, Shape>();
        foreach (var (name, shape) in expected)
            if (!own.TryAdd(name, new Shape([.. shape.Select(d => (int)d)])))
                throw new InvalidDataException($"{path}: the architecture names tensor \"{MessageText.Printable(name)}\" twice.");
        var report = new LoadReport(
            own.Keys.Where(k => !found.ContainsKey(k)).Take(20).Select(MessageText.Printable).ToList(),
            found.Keys.Where(k => !own.ContainsKey(k)).Take(20).Select(MessageText.Printable).ToList(),
            own.Where(kv => found.TryGetValue(kv.Key, out var s) && s != kv.Value)
                .Take(20).Select(kv => new ShapeMismatch(MessageText.Printable(kv.Key), kv.Value, found[kv.Key])).ToList());
        if (!report.IsExactMatch)
            throw new InvalidDataException($"{path} does not fit its architecture: {report}.");
    }

    /// <summary>The input sample shape recorded in the file at <paramref name="path"/>, or null.</summary>
    public static Shape? ReadInputShape(string path) => ParseInputShape(path, SafeTensors.ReadMetadata(path));

    private static Shape? ParseInputShape(string path, Dictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(InputShapeKey, out var text)) return null;
        try
        {
            var dims = (JsonNode.Parse(text) ?? throw new FormatException("null")).AsArray()
                .Select(d => d?.GetValue<int>() ?? throw new FormatException("null dimension")).ToArray();
            return dims.All(d => d > 0) ? new Shape(dims) : throw new FormatException("dimensions must be positive");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: metadata \"{InputShapeKey}\" is not a list of positive integers: {MessageText.Printable(text)}", e);
        }
    }

    /// <summary>
    /// Loads the tensors of any safetensors file (Dendrite's or PyTorch's <c>save_file(model.state_dict())</c>) into
    /// <paramref name="model"/> by name. Shapes must match. With <paramref name="strict"/> (the default, as PyTorch),
    /// missing and unexpected keys are errors too; without it they are only reported.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed, or does not fit the model; the message lists every key at fault.</exception>
    public static LoadReport LoadWeights(this Module model, string path, bool strict = true) =>
        Apply(model, SafeTensors.Load(path), path, strict);

    private static LoadReport Apply(Module model, Dictionary<string, Tensor> tensors, string path, bool strict)
    {
        var own = model.StateDict();
        var report = new LoadReport(
            own.Keys.Where(k => !tensors.ContainsKey(k)).ToList(),
            tensors.Keys.Where(k => !own.ContainsKey(k)).ToList(),
            own.Where(kv => tensors.TryGetValue(kv.Key, out var t) && t.Shape != kv.Value.Shape)
                .Select(kv => new ShapeMismatch(kv.Key, kv.Value.Shape, tensors[kv.Key].Shape)).ToList());
        if (report.Mismatched.Count > 0 || (strict && !report.IsExactMatch))
            throw new InvalidDataException($"{path} does not fit {model.GetType().Name}: {report}.");
        foreach (var (key, target) in own)
            if (tensors.TryGetValue(key, out var source)) target.CopyFrom(source);   // the model may live on any device
        return report;
    }
}

/// <summary>A tensor whose shape in a file differs from the model's.</summary>
public sealed record ShapeMismatch(string Key, Shape Expected, Shape Found)
{
    public override string ToString() => $"{Key}: model {Expected}, file {Found}";
}

/// <summary>How a file's tensors matched a model's state dict, by name.</summary>
/// <param name="Missing">Keys the model has and the file lacks (left at their current values).</param>
/// <param name="Unexpected">Keys the file has and the model lacks (ignored).</param>
/// <param name="Mismatched">Keys in both whose shapes differ.</param>
public sealed record LoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<ShapeMismatch> Mismatched)
{
    /// <summary>True when every key matched in name and shape.</summary>
    public bool IsExactMatch => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    public override string ToString()
    {
        if (IsExactMatch) return "all keys match";
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add("missing keys " + string.Join(", ", Missing));
        if (Unexpected.Count > 0) parts.Add("unexpected keys " + string.Join(", ", Unexpected));
        if (Mismatched.Count > 0) parts.Add("shape mismatch for " + string.Join("; ", Mismatched));
        return string.Join("; ", parts);
    }
}
