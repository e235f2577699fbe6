using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.IO;

namespace Dendrite.Cli;

/// <summary>
/// How raw inputs became the model's samples in training, recorded in the model file (metadata
/// <see cref="ModelFile.PreprocessingKey"/>) so <c>predict</c> and <c>eval</c> turn a user's CSV rows, images or FASTA
/// records into the same tensors: column names with the standardiser's statistics, image size, channels and scaling,
/// alphabet and length.
/// </summary>
internal abstract class InputPreprocessing
{
    /// <summary>"csv", "image" or "fasta": the "kind" of the recorded JSON.</summary>
    public abstract string Kind { get; }

    /// <summary>The shape of one sample the model takes, without the batch.</summary>
    public abstract Shape SampleShape { get; }

    public abstract JsonObject ToJson();

    /// <summary>Whether <paramref name="file"/> is an input of this kind (by extension; a folder for images).</summary>
    public abstract bool Accepts(string file);

    /// <summary>The samples of one input file, each with the name to print for it.</summary>
    public abstract (string[] Names, Tensor Inputs) Inputs(string file);

    /// <summary>Labelled samples for <c>eval</c>: labels are indices into <paramref name="classes"/>, the model's.</summary>
    public abstract (Tensor Inputs, Tensor Labels) Labelled(string path, IReadOnlyList<string> classes);

    /// <summary>The preprocessing recorded in a model file's metadata; null for files written without it.</summary>
    public static InputPreprocessing? Read(string modelPath, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(ModelFile.PreprocessingKey, out var text)) return null;
        string where = $"{modelPath}: metadata \"{ModelFile.PreprocessingKey}\"";
        try
        {
            var json = StrictJson.Parse(text, where) as JsonObject ?? throw new FormatException("not an object");
            string kind = json["kind"]?.GetValue<string>() ?? throw new FormatException("no \"kind\"");
            return kind switch
            {
                "csv" => TablePreprocessing.FromJson(json),
                "image" => ImagePreprocessing.FromJson(json),
                "fasta" => SequencePreprocessing.FromJson(json),
                _ => throw new FormatException($"unknown kind \"{kind}\""),
            };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException or ArgumentException or NullReferenceException)
        {
            throw new InvalidDataException($"{where} is malformed: {Program.OneLine(e.Message)}", e);
        }
    }

    /// <summary>The class names recorded in a model file; null for files written without them.</summary>
    public static string[]? ReadClasses(string modelPath, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(ModelFile.ClassesKey, out var text)) return null;
        try
        {
            return (StrictJson.Parse(text, modelPath) as JsonArray ?? throw new FormatException())
                .Select(v => v?.GetValue<string>() ?? throw new FormatException()).ToArray();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{modelPath}: metadata \"{ModelFile.ClassesKey}\" is not a list of class names.", e);
        }
    }

    protected static float[] Floats(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(v => v?.GetValue<float>() ?? throw new FormatException("null number"))] : throw new FormatException("expected a list");

    protected static JsonArray Array(IEnumerable<float> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    protected static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    protected static int ClassIndex(string label, IReadOnlyList<string> classes, string where)
    {
        for (int k = 0; k < classes.Count; k++) if (classes[k] == label) return k;
        throw new InvalidDataException($"{where}: class \"{Program.OneLine(label)}\" is not one the model knows ({string.Join(", ", classes)}).");
    }
}

/// <summary>CSV rows: the feature columns by name, standardised with the training part's mean and standard deviation.</summary>
internal sealed class TablePreprocessing(string[] features, string target, Standardizer scaler) : InputPreprocessing
{
    public string[] Features { get; } = features;
    public string Target { get; } = target;
    public Standardizer Scaler { get; } = scaler;

    public override string Kind => "csv";
    public override Shape SampleShape => new(Features.Length);

    public override JsonObject ToJson() => new()
    {
        ["kind"] = Kind,
        ["target"] = Target,
        ["features"] = Array(Features),
        ["mean"] = Array(Scaler.Mean),
        ["std"] = Array(Scaler.Std),
    };

    public static TablePreprocessing FromJson(JsonObject json)
    {
        var features = (json["features"] as JsonArray ?? throw new FormatException("no \"features\" list"))
            .Select(v => v?.GetValue<string>() ?? throw new FormatException("null feature name")).ToArray();
        var scaler = Standardizer.FromJson(new JsonObject { ["mean"] = json["mean"]?.DeepClone(), ["std"] = json["std"]?.DeepClone() }.ToJsonString());
        if (scaler.Features != features.Length) throw new FormatException($"{features.Length} features but {scaler.Features} means");
        return new TablePreprocessing(features, json["target"]?.GetValue<string>() ?? throw new FormatException("no \"target\""), scaler);
    }

    public override bool Accepts(string file) => file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
        || file.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".tab", StringComparison.OrdinalIgnoreCase);

    /// <summary>The table's feature columns, standardised; the target column and any other column are ignored.</summary>
    public Tensor FeatureTensor(Table table)
    {
        var missing = Features.Where(f => !table.Columns.Contains(f)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{table.Source}: no column{(missing.Length == 1 ? "" : "s")} " +
                $"{string.Join(", ", missing.Take(5).Select(m => $"\"{m}\""))}{(missing.Length > 5 ? $" and {missing.Length - 5} more" : "")}; " +
                $"the model was trained on the {Features.Length} columns {string.Join(", ", Features.Take(3))}{(Features.Length > 3 ? ", …" : "")}.");
        return Scaler.Transform(table.Numeric(Features));
    }

    public override (string[] Names, Tensor Inputs) Inputs(string file)
    {
        var table = Table.Read(file);
        var x = FeatureTensor(table);
        return ([.. Enumerable.Range(0, table.RowCount).Select(r => $"{file}:{table.LineOf(r)}")], x);
    }

    public override (Tensor Inputs, Tensor Labels) Labelled(string path, IReadOnlyList<string> classes)
    {
        var table = Table.Read(path);
        if (!table.Columns.Contains(Target))
            throw new InvalidDataException($"{path}: no target column \"{Target}\" to score against.");
        var x = FeatureTensor(table);
        return (x, table.Categorical(Target, classes).Indices);
    }
}

/// <summary>Images: decoded to [0, 1], converted to the trained channel count, resized, then normalised if trained so.</summary>
internal sealed class ImagePreprocessing(int height, int width, int channels, float[]? mean, float[]? std) : InputPreprocessing
{
    public int Height { get; } = height;
    public int Width { get; } = width;
    public int Channels { get; } = channels;
    public float[]? Mean { get; } = mean;
    public float[]? Std { get; } = std;

    public override string Kind => "image";
    public override Shape SampleShape => new(Channels, Height, Width);

    /// <summary>The per-sample steps: resize to the trained size (images already that size pass unchanged).</summary>
    public ISampleTransform Resize => new Data.Resize(Height, Width);

    /// <summary>The batch step after scaling: normalisation, or null.</summary>
    public IImageTransform? Normalize => Mean is null ? null : new Normalize(Mean, Std!);

    public override JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["kind"] = Kind,
            ["size"] = new JsonArray(Height, Width),
            ["channels"] = Channels,
            // What ImageFile does: 8-bit samples divided by 255, 16-bit by 65535.
            ["scale"] = "[0, 1]",
        };
        if (Mean is not null) json["normalize"] = new JsonObject { ["mean"] = Array(Mean), ["std"] = Array(Std!) };
        return json;
    }

    public static ImagePreprocessing FromJson(JsonObject json)
    {
        var size = json["size"] as JsonArray ?? throw new FormatException("no \"size\"");
        int channels = json["channels"]?.GetValue<int>() ?? throw new FormatException("no \"channels\"");
        if (channels is not (1 or 3)) throw new FormatException($"channels {channels}");
        var normalize = json["normalize"] as JsonObject;
        return new ImagePreprocessing(size[0]!.GetValue<int>(), size[1]!.GetValue<int>(), channels,
            normalize is null ? null : Floats(normalize["mean"]), normalize is null ? null : Floats(normalize["std"]));
    }

    public override bool Accepts(string file) =>
        Directory.Exists(file) || ImageFile.Extensions.Contains(Path.GetExtension(file).ToLowerInvariant());

    /// <summary>One image file as a batch of one, or every image under a folder (sorted), each named by its path.</summary>
    public override (string[] Names, Tensor Inputs) Inputs(string file)
    {
        string[] files = Directory.Exists(file)
            ? [.. Directory.EnumerateFiles(file, "*", SearchOption.AllDirectories)
                .Where(f => ImageFile.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)]
            : [file];
        if (files.Length == 0) throw new InvalidDataException($"{file}: no image files ({string.Join(", ", ImageFile.Extensions)}).");
        return (files, Load(files));
    }

    private Tensor Load(IReadOnlyList<string> files)
    {
        var batch = Tensor.Empty(files.Count, Channels, Height, Width);
        int size = Channels * Height * Width;
        var generator = new Generator(0);   // Resize draws nothing; the interface asks for one
        for (int i = 0; i < files.Count; i++)
        {
            var image = Resize.Apply(ImageFile.Load(files[i], Channels), generator);
            image.Data.CopyTo(batch.Data.Slice(i * size, size));
        }
        return Normalize is { } normalize ? normalize.Apply(batch, generator) : batch;
    }

    public override (Tensor Inputs, Tensor Labels) Labelled(string path, IReadOnlyList<string> classes)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: not a folder of class sub-folders.");
        var folder = new ImageFolder(path, Channels);
        var labels = Tensor.Empty(folder.Count);
        for (int i = 0; i < folder.Count; i++)
            labels.Data[i] = ClassIndex(folder.ClassNames[folder.LabelOf(i)], classes, Path.Combine(path, folder.ClassNames[folder.LabelOf(i)]));
        return (Load(folder.Files), labels);
    }
}

/// <summary>
/// FASTA records: one-hot [symbols, length] (channels first, as Conv1d takes them), padded with zero columns after the
/// end or cut to the trained length; the label is the header field "label=…" (or the field the run named).
/// </summary>
internal sealed class SequencePreprocessing(Alphabet alphabet, int length, string labelField) : InputPreprocessing
{
    public Alphabet Alphabet { get; } = alphabet;
    public int Length { get; } = length;
    public string LabelField { get; } = labelField;

    public override string Kind => "fasta";
    public override Shape SampleShape => new(Alphabet.Size, Length);

    public override JsonObject ToJson() => new()
    {
        ["kind"] = Kind,
        ["alphabet"] = Alphabet.Symbols,
        ["length"] = Length,
        ["label"] = LabelField,
        ["layout"] = "one-hot [symbols, length], zero-padded after the end, cut to length",
    };

    public static SequencePreprocessing FromJson(JsonObject json) => new(
        new Alphabet(json["alphabet"]?.GetValue<string>() ?? throw new FormatException("no \"alphabet\"")),
        json["length"]?.GetValue<int>() ?? throw new FormatException("no \"length\""),
        json["label"]?.GetValue<string>() ?? "label");

    public override bool Accepts(string file)
    {
        string lower = file.ToLowerInvariant();
        if (lower.EndsWith(".gz", StringComparison.Ordinal)) lower = lower[..^3];
        return lower.EndsWith(".fa", StringComparison.Ordinal) || lower.EndsWith(".fasta", StringComparison.Ordinal)
            || lower.EndsWith(".fna", StringComparison.Ordinal) || lower.EndsWith(".faa", StringComparison.Ordinal);
    }

    public static Alphabet AlphabetNamed(string name) => name switch
    {
        "dna" => Alphabet.Dna,
        "rna" => new Alphabet("ACGU"),
        _ => Alphabet.Protein,
    };

    /// <summary>Sequences as one-hot [N, symbols, Length].</summary>
    public Tensor Encode(IReadOnlyList<string> sequences)
    {
        int s = Alphabet.Size, n = sequences.Count;
        var x = Tensor.Zeros(n, s, Length);
        var d = x.Data;
        for (int i = 0; i < n; i++)
        {
            var indices = Alphabet.Encode(sequences[i]);
            for (int t = 0; t < Math.Min(Length, indices.Length); t++)
                if (indices[t] != Alphabet.PadIndex) d[(i * s + indices[t]) * Length + t] = 1f;
        }
        return x;
    }

    public override (string[] Names, Tensor Inputs) Inputs(string file)
    {
        var records = SequenceFile.ReadFasta(file, Alphabet).Records;
        if (records.Count == 0) throw new InvalidDataException($"{file}: no FASTA records.");
        return ([.. records.Select(r => $"{file}:{r.Id}")], Encode([.. records.Select(r => r.Sequence)]));
    }

    public override (Tensor Inputs, Tensor Labels) Labelled(string path, IReadOnlyList<string> classes)
    {
        var file = SequenceFile.ReadFasta(path, Alphabet);
        var labelOf = SequenceDataset.HeaderField(LabelField);
        var labels = Tensor.Empty(file.Records.Count);
        for (int i = 0; i < file.Records.Count; i++)
        {
            var record = file.Records[i];
            string label = labelOf(record) ?? throw new InvalidDataException(
                $"{path}: line {record.Line}: record \"{record.Id}\" has no \"{LabelField}=…\" in its header.");
            labels.Data[i] = ClassIndex(label, classes, string.Create(CultureInfo.InvariantCulture, $"{path}: line {record.Line}"));
        }
        return (Encode([.. file.Records.Select(r => r.Sequence)]), labels);
    }
}
