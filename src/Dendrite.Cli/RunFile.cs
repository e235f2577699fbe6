using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.IO;
using Dendrite.NN;

namespace Dendrite.Cli;

/// <summary>Where the training data comes from, and how it becomes tensors (the "data" object of a run file).</summary>
/// <param name="Kind">"idx", "csv", "image-folder" or "fasta".</param>
/// <param name="Path">The file or directory, resolved against the run file's directory.</param>
/// <param name="Validation">The stratified fraction held out for validation; null: a kind's default (idx: its test split).</param>
/// <param name="Test">A separate test file or folder, evaluated once after training.</param>
internal sealed record DataSpec(string Kind, string? Path, double? Validation, string? Test)
{
    /// <summary>csv: the target column, and the feature columns (every other column when null).</summary>
    public string? Target { get; init; }
    public string[]? Features { get; init; }

    /// <summary>image-folder: [height, width] every image is resized to, and 1 (grey) or 3 (RGB) channels.</summary>
    public (int H, int W)? Size { get; init; }
    public int Channels { get; init; } = 3;

    /// <summary>image-folder: per-channel mean and standard deviation applied after scaling to [0, 1].</summary>
    public float[]? NormalizeMean { get; init; }
    public float[]? NormalizeStd { get; init; }

    /// <summary>fasta: "dna", "rna" or "protein"; the padded/cropped length; the header field holding the label.</summary>
    public string Alphabet { get; init; } = "dna";
    public int? Length { get; init; }
    public string LabelField { get; init; } = "label";
}

/// <summary>The optimiser of a run file: name, learning rate, and the options of that optimiser.</summary>
internal sealed record OptimizerSpec(string Name, double Lr, double Momentum, double WeightDecay);

/// <summary>The learning-rate schedule of a run file.</summary>
internal sealed record ScheduleSpec(string Name)
{
    public int StepSize { get; init; } = 1;
    public double Gamma { get; init; } = 0.1;
    public int? TMax { get; init; }
    public double EtaMin { get; init; }
    public double Factor { get; init; } = 0.1;
    public int Patience { get; init; } = 10;
    public string Monitor { get; init; } = "val_loss";
}

/// <summary>Random changes to training images (never to validation or test images).</summary>
internal sealed record AugmentationSpec(float HorizontalFlip, float AffineDegrees, float AffineTranslate, float AffineScale)
{
    public bool Affine => AffineDegrees > 0 || AffineTranslate > 0 || AffineScale > 0;
}

/// <summary>
/// A run file (<c>dendrite train run.json</c>): the data, the model and the recipe to train it with, as JSON. JSON
/// because the model file's architecture is JSON already (one format, and one strict reader, for both), and .NET reads
/// it without a new dependency. Paths inside are relative to the file's directory.
/// </summary>
internal sealed record RunFile(string File, DataSpec Data, JsonNode Model, string ModelName, OptimizerSpec Optimizer,
    ScheduleSpec Schedule, int Epochs, int BatchSize, ulong Seed, IReadOnlyList<string> Metrics, AugmentationSpec? Augmentation,
    string? OutDir, string? CheckpointDir)
{
    public static readonly string[] TopKeys = ["data", "model", "optimizer", "schedule", "epochs", "batch_size", "metrics", "augmentation", "seed", "outputs"];
    public static readonly string[] DataKinds = ["idx", "csv", "image-folder", "fasta"];
    public static readonly string[] Optimizers = ["sgd", "adam", "adamw"];
    public static readonly string[] Schedules = ["none", "step", "cosine", "one-cycle", "reduce-on-plateau"];
    public static readonly string[] MetricNames = ["accuracy", "precision", "recall", "f1", "auc", "average_precision"];
    public static readonly string[] Alphabets = ["dna", "rna", "protein"];

    /// <summary>Defaults when the file leaves them out.</summary>
    public const int DefaultEpochs = 10, DefaultBatchSize = 32;
    public const double DefaultLr = 1e-3;

    /// <summary>Whether a train argument names a run file rather than a preset: it ends in .json.</summary>
    public static bool IsRunFile(string argument) => argument.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads and checks <paramref name="path"/>; every mistake is one message naming the file and key.</summary>
    public static RunFile Read(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"run file not found: {path}", path);
        return Parse(System.IO.File.ReadAllText(path), path);
    }

    public static RunFile Parse(string text, string file)
    {
        var root = RunJson.Root(text, file, TopKeys);
        var data = ReadData(root);
        var (model, modelName) = ReadModel(root);
        var optimizer = ReadOptimizer(root);
        var schedule = ReadSchedule(root);
        var metrics = root.Strings("metrics") ?? ["accuracy"];
        foreach (string m in metrics)
            if (!MetricNames.Contains(m))
                throw root.Error("metrics", $"unknown metric \"{Program.OneLine(m)}\" (known: {string.Join(", ", MetricNames)}).");
        var outputs = root.Object("outputs", ["out", "checkpoint_dir"]);
        return new RunFile(file, data, model, modelName, optimizer, schedule,
            Epochs: root.Int("epochs", min: 1) ?? DefaultEpochs,
            BatchSize: root.Int("batch_size", min: 1) ?? DefaultBatchSize,
            Seed: root.UInt64("seed") ?? MnistRunOptions.DefaultSeed,
            Metrics: [.. metrics.Distinct()],
            Augmentation: ReadAugmentation(root, data),
            OutDir: outputs?.Path("out"),
            CheckpointDir: outputs?.Path("checkpoint_dir"));
    }

    private static DataSpec ReadData(RunJson root)
    {
        var kindOnly = root.Object("data", ["kind", "path", "validation", "test", "target", "features", "size", "channels", "normalize",
            "alphabet", "length", "label"]) ?? throw root.Missing("data", "an object with \"kind\" and \"path\"");
        string kind = kindOnly.Choice("kind", DataKinds) ?? throw kindOnly.Missing("kind", string.Join(", ", DataKinds));
        // Each kind takes its own keys: a csv "size" is a mistake worth naming, not something to ignore.
        // idx has its own test split: a "test" there would be ignored, so it is refused.
        string[] common = kind == "idx" ? ["kind", "path", "validation"] : ["kind", "path", "validation", "test"];
        string[] own = kind switch
        {
            "csv" => ["target", "features"],
            "image-folder" => ["size", "channels", "normalize"],
            "fasta" => ["alphabet", "length", "label"],
            _ => [],
        };
        var data = root.Object("data", [.. common, .. own])!;
        // idx without a path: the MNIST directory train mnist-… uses (the repository's data/mnist, or $DENDRITE_MNIST).
        string? path = data.Path("path") ?? (kind == "idx" ? null : throw data.Missing("path", kind == "image-folder" ? "a directory" : "a file"));
        var spec = new DataSpec(kind, path, data.Number("validation", 0, 1, minOpen: true, maxOpen: true), data.Path("test"));
        switch (kind)
        {
            case "csv":
                spec = spec with { Target = data.RequiredString("target"), Features = data.Strings("features") };
                break;
            case "image-folder":
                var size = data.Size("size") ?? throw data.Missing("size", "[height, width] every image is resized to");
                int channels = data.Int("channels") ?? 3;
                if (channels is not (1 or 3)) throw data.Error("channels", $"must be 1 (grey) or 3 (RGB), got {channels}.");
                spec = spec with { Size = size, Channels = channels };
                if (data.Object("normalize", ["mean", "std"]) is { } normalize)
                {
                    var mean = normalize.Numbers("mean") ?? throw normalize.Missing("mean", $"{channels} numbers");
                    var std = normalize.Numbers("std") ?? throw normalize.Missing("std", $"{channels} numbers");
                    if (mean.Length != channels || std.Length != channels)
                        throw data.Error("normalize", $"mean and std need {channels} numbers each (one per channel), got {mean.Length} and {std.Length}.");
                    if (std.Any(s => !(s > 0))) throw data.Error("normalize", "every std must be positive.");
                    spec = spec with { NormalizeMean = [.. mean.Select(v => (float)v)], NormalizeStd = [.. std.Select(v => (float)v)] };
                }
                break;
            case "fasta":
                spec = spec with
                {
                    Alphabet = data.Choice("alphabet", Alphabets) ?? "dna",
                    Length = data.Int("length", min: 1),
                    LabelField = data.String("label") ?? "label",
                };
                break;
        }
        return spec;
    }

    private static (JsonNode Model, string Name) ReadModel(RunJson root)
    {
        var node = root.Node("model") ?? throw root.Missing("model", $"a preset name ({string.Join(", ", Presets.All.Keys)}), an architecture object or {{\"file\": \"arch.json\"}}");
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            string name = value.GetValue<string>();
            if (!Presets.All.ContainsKey(name))
                throw root.Error("model", $"unknown preset \"{Program.OneLine(name)}\" (known: {string.Join(", ", Presets.All.Keys)}).");
            return (node, name);
        }
        if (node is not JsonObject json) throw root.Wrong("model", "a preset name, an architecture object or {\"file\": …}", node);
        if (json.ContainsKey("file"))
        {
            string file = root.ObjectAt("model", json, ["file"]).Path("file")!;
            if (!System.IO.File.Exists(file)) throw root.Error("model", $"architecture file not found: {file}");
            var architecture = StrictJson.Parse(System.IO.File.ReadAllText(file), file)
                ?? throw new InvalidDataException($"{file}: the architecture is null.");
            return (architecture, System.IO.Path.GetFileNameWithoutExtension(file));
        }
        if (!json.ContainsKey("type"))
            throw root.Error("model", "an architecture object needs \"type\" (such as \"Sequential\"), or give {\"file\": \"arch.json\"}.");
        return (json, "model");
    }

    private static OptimizerSpec ReadOptimizer(RunJson root)
    {
        var o = root.Object("optimizer", ["name", "lr", "momentum", "weight_decay"]);
        if (o is null) return new OptimizerSpec("adam", DefaultLr, 0, 0);
        string name = o.Choice("name", Optimizers) ?? "adam";
        if (name != "sgd" && o.Has("momentum")) throw o.Error("momentum", $"applies to sgd; {name} has no momentum option.");
        return new OptimizerSpec(name, o.Number("lr", 0, minOpen: true) ?? DefaultLr, o.Number("momentum", 0, 1, maxOpen: true) ?? 0,
            // AdamW's default decay is PyTorch's 0.01; Adam and SGD default to none.
            o.Number("weight_decay", 0) ?? (name == "adamw" ? 1e-2 : 0));
    }

    private static ScheduleSpec ReadSchedule(RunJson root)
    {
        var node = root.Node("schedule");
        if (node is null) return new ScheduleSpec("none");
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            string name = v.GetValue<string>();
            return Schedules.Contains(name) ? new ScheduleSpec(name)
                : throw root.Error("schedule", $"must be one of {string.Join(", ", Schedules)}; got \"{Program.OneLine(name)}\".");
        }
        var s = root.Object("schedule", ["name", "step_size", "gamma", "t_max", "eta_min", "factor", "patience", "monitor"])!;
        string kind = s.Choice("name", Schedules) ?? throw s.Missing("name", string.Join(", ", Schedules));
        string[] allowed = kind switch
        {
            "step" => ["name", "step_size", "gamma"],
            "cosine" => ["name", "t_max", "eta_min"],
            "reduce-on-plateau" => ["name", "factor", "patience", "monitor"],
            _ => ["name"],
        };
        s = root.Object("schedule", allowed)!;
        return new ScheduleSpec(kind)
        {
            StepSize = s.Int("step_size", min: 1) ?? 1,
            Gamma = s.Number("gamma", 0, 1, minOpen: true) ?? 0.1,
            TMax = s.Int("t_max", min: 1),
            EtaMin = s.Number("eta_min", 0) ?? 0,
            Factor = s.Number("factor", 0, 1, maxOpen: true) ?? 0.1,
            Patience = s.Int("patience", min: 0) ?? 10,
            Monitor = s.String("monitor") ?? "val_loss",
        };
    }

    private static AugmentationSpec? ReadAugmentation(RunJson root, DataSpec data)
    {
        var a = root.Object("augmentation", ["horizontal_flip", "affine"]);
        if (a is null) return null;
        if (data.Kind is not ("image-folder" or "idx"))
            throw root.Error("augmentation", $"applies to images (data kind image-folder or idx), not {data.Kind}.");
        if (data.Kind == "idx" && a.Has("horizontal_flip"))
            throw a.Error("horizontal_flip", "applies to image-folder data (a flipped digit is another symbol).");
        var affine = a.Object("affine", ["degrees", "translate", "scale"]);
        return new AugmentationSpec(
            HorizontalFlip: (float)(a.Number("horizontal_flip", 0, 1) ?? 0),
            AffineDegrees: (float)(affine?.Number("degrees", 0, 180) ?? 0),
            AffineTranslate: (float)(affine?.Number("translate", 0, 1, maxOpen: true) ?? 0),
            AffineScale: (float)(affine?.Number("scale", 0, 1, maxOpen: true) ?? 0));
    }

    /// <summary>Builds a fresh model from the file's "model" (under the default generator, seeded by the caller).</summary>
    public Module BuildModel()
    {
        if (Model is JsonValue) return Presets.Create(ModelName);
        try
        {
            return Architecture.Build(Model);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{File}: \"model\": {e.Message}", e);
        }
    }
}
