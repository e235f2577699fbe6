using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.IO;

/// <summary>
/// Everything needed to continue training exactly where it stopped, in one safetensors file written atomically: the
/// model's state dict under "model.&lt;PyTorch name&gt;", each optimiser buffer under "optimizer.&lt;group&gt;.&lt;index&gt;.&lt;buffer&gt;",
/// and in the metadata key "dendrite.checkpoint" a JSON object with the epoch, the global step, the per-epoch history,
/// the optimiser's type, hyperparameters and per-parameter step counts, the scheduler's count, the state of the default
/// random generator (<see cref="Generator.Default"/>: dropout masks) and of any other generator the run names (an
/// augmentation's), and the architecture.
/// </summary>
/// <remarks>
/// Loading into the same model, optimiser and scheduler built the same way, and continuing with
/// <c>Fit(…, initialEpoch: progress.Epoch)</c> (whose data order depends only on the seed and the epoch number), gives
/// bit-identical results to a run that never stopped.
/// </remarks>
public static class Checkpoint
{
    /// <summary>Metadata key of the JSON training state.</summary>
    public const string MetadataKey = "dendrite.checkpoint";

    private const string ModelPrefix = "model.";
    private const string OptimizerPrefix = "optimizer.";
    private const string FilePrefix = "epoch-";
    private const string FileSuffix = ".ckpt.safetensors";

    /// <summary>The file name <see cref="CheckpointCallback"/> uses for <paramref name="epoch"/>: "epoch-0003.ckpt.safetensors".</summary>
    public static string FileName(int epoch) => FilePrefix + epoch.ToString("D4", CultureInfo.InvariantCulture) + FileSuffix;

    /// <summary>
    /// The checkpoint of the highest epoch in <paramref name="directory"/>, or null when there is none. Temporary files
    /// of an interrupted save are ignored.
    /// </summary>
    public static string? FindLatest(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        return Directory.EnumerateFiles(directory, FilePrefix + "*" + FileSuffix)
            .Select(path => (Path: path, Name: Path.GetFileName(path)))
            .Select(f => (f.Path, Epoch: int.TryParse(f.Name.AsSpan(FilePrefix.Length, f.Name.Length - FilePrefix.Length - FileSuffix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out int e) ? e : -1))
            .Where(f => f.Epoch >= 0)
            .OrderByDescending(f => f.Epoch)
            .Select(f => f.Path)
            .FirstOrDefault();
    }

    /// <summary>
    /// Writes a checkpoint of the training state after <paramref name="progress"/>'s epoch, atomically. Besides the default
    /// generator, it keeps the state of every generator in <paramref name="generators"/> (an augmentation's), by name.
    /// </summary>
    public static void Save(string path, Module model, Optimizer optimizer, LRScheduler? scheduler, TrainingProgress progress,
        IReadOnlyDictionary<string, Generator>? generators = null)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, t) in model.StateDict()) tensors[ModelPrefix + name] = t;
        var state = optimizer.State();
        var groups = new JsonArray();
        for (int g = 0; g < optimizer.ParamGroups.Count; g++)
        {
            var group = optimizer.ParamGroups[g];
            var steps = new JsonArray();
            for (int i = 0; i < group.Params.Count; i++)
            {
                if (!state.TryGetValue(group.Params[i], out var s))
                {
                    steps.Add(0);
                    continue;
                }
                steps.Add(s.Step);
                for (int k = 0; k < s.Buffers.Length; k++)
                    if (s.Buffers[k] is { } buffer)
                        tensors[$"{OptimizerPrefix}{g}.{i}.{k}"] = Tensor.FromArray(buffer, group.Params[i].Shape.ToArray());
            }
            groups.Add(new JsonObject
            {
                ["lr"] = group.Lr,
                ["initial_lr"] = group.InitialLr,
                ["weight_decay"] = group.WeightDecay,
                ["momentum"] = group.Momentum,
                ["params"] = group.Params.Count,
                ["steps"] = steps,
            });
        }
        var json = new JsonObject
        {
            ["version"] = 1,
            ["epoch"] = progress.Epoch,
            ["step"] = progress.Step,
            ["history"] = new JsonArray([.. progress.History.Select(logs =>
                (JsonNode)new JsonObject(logs.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Number(kv.Value)))))]),
            ["optimizer"] = new JsonObject { ["type"] = optimizer.GetType().Name, ["param_groups"] = groups },
            ["scheduler"] = scheduler is null ? null : new JsonObject { ["type"] = scheduler.GetType().Name, ["last_epoch"] = scheduler.LastEpoch },
            // Hex strings: JSON readers elsewhere hold numbers as doubles, which would round 64-bit words.
            ["rng"] = Generators(generators),
        };
        var metadata = new Dictionary<string, string> { [MetadataKey] = json.ToJsonString() };
        try
        {
            metadata[ModelFile.ArchitectureKey] = Architecture.Describe(model).ToJsonString();
        }
        catch (ArgumentException)
        {
            // A custom module without a registered description still checkpoints: resuming builds the model in code.
        }
        SafeTensors.Save(path, tensors, metadata);
    }

    // Hex strings: JSON readers elsewhere hold numbers as doubles, which would round 64-bit words.
    private static JsonObject Generators(IReadOnlyDictionary<string, Generator>? generators)
    {
        var json = new JsonObject();
        foreach (var (name, g) in (generators ?? new Dictionary<string, Generator>()).Prepend(KeyValuePair.Create("default", Generator.Default)))
            json[name] = new JsonArray([.. g.GetState().Select(w => (JsonNode)w.ToString("x16", CultureInfo.InvariantCulture))]);
        return json;
    }

    /// <summary>
    /// Restores a checkpoint into a model, optimiser and scheduler built as they were when it was saved, the default
    /// generator's state and that of each of <paramref name="generators"/> (by the names they were saved under); returns
    /// where training stopped.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed or was written for a different model or optimiser.</exception>
    public static TrainingProgress Load(string path, Module model, Optimizer optimizer, LRScheduler? scheduler = null,
        IReadOnlyDictionary<string, Generator>? generators = null)
    {
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        if (!metadata.TryGetValue(MetadataKey, out var text))
            throw new InvalidDataException($"{path}: not a checkpoint (no \"{MetadataKey}\" metadata).");
        try
        {
            var json = StrictJson.Parse(text, $"{path}: checkpoint state")?.AsObject() ?? throw new FormatException("null");
            RestoreModel(path, model, tensors);
            RestoreOptimizer(path, optimizer, json["optimizer"]?.AsObject() ?? throw new FormatException("no \"optimizer\""), tensors);
            if (scheduler is not null)
            {
                var s = json["scheduler"]?.AsObject()
                    ?? throw new InvalidDataException($"{path}: the checkpoint has no scheduler state, but a {scheduler.GetType().Name} was given.");
                string type = Data.MessageText.Printable(Required(s, "type").GetValue<string>());
                if (type != scheduler.GetType().Name)
                    throw new InvalidDataException($"{path}: the checkpoint holds a {type} scheduler, not a {scheduler.GetType().Name}.");
                scheduler.SetCount(Required(s, "last_epoch").GetValue<int>());
            }
            var rng = Required(json, "rng");
            foreach (var (name, g) in (generators ?? new Dictionary<string, Generator>()).Prepend(KeyValuePair.Create("default", Generator.Default)))
                g.SetState([.. Required(rng, name).AsArray().Select(w => RngWord(NotNull(w).GetValue<string>(), name))]);
            var history = Required(json, "history").AsArray()
                .Select(e => (IReadOnlyDictionary<string, double>)NotNull(e).AsObject().ToDictionary(kv => kv.Key, kv => Number(kv.Value)))
                .ToList();
            return new TrainingProgress(Required(json, "epoch").GetValue<int>(), Required(json, "step").GetValue<long>(), history);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"{path}: malformed checkpoint state: {Data.MessageText.OneLine(e.Message)}", e);
        }
    }

    // A generator word is 16 hex digits (64 bits); ulong.Parse would throw OverflowException on a 17th.
    private static ulong RngWord(string text, string generator) =>
        text.Length is > 0 and <= 16 && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong word) ? word
            : throw new FormatException($"generator \"{generator}\" word \"{Data.MessageText.Printable(text)}\" is not 1 to 16 hex digits");

    private static JsonNode Required(JsonNode? parent, string key) =>
        parent?[key] ?? throw new FormatException($"missing \"{key}\"");

    private static JsonNode NotNull(JsonNode? node) => node ?? throw new FormatException("unexpected null");

    // JSON has no NaN or infinity (a loss over an empty epoch is NaN): those go as strings.
    private static JsonNode Number(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    private static double Number(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s)
        ? double.Parse(s, CultureInfo.InvariantCulture)
        : NotNull(node).GetValue<double>();

    private static void RestoreModel(string path, Module model, Dictionary<string, Tensor> tensors)
    {
        var weights = tensors.Where(kv => kv.Key.StartsWith(ModelPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[ModelPrefix.Length..], kv => kv.Value);
        var own = model.StateDict();
        var report = new LoadReport(
            own.Keys.Where(k => !weights.ContainsKey(k)).ToList(),
            weights.Keys.Where(k => !own.ContainsKey(k)).ToList(),
            own.Where(kv => weights.TryGetValue(kv.Key, out var t) && t.Shape != kv.Value.Shape)
                .Select(kv => new ShapeMismatch(kv.Key, kv.Value.Shape, weights[kv.Key].Shape)).ToList());
        if (!report.IsExactMatch) throw new InvalidDataException($"{path}: the checkpoint does not fit {model.GetType().Name}: {report}.");
        foreach (var (key, target) in own) weights[key].Data.CopyTo(target.Data);
    }

    private static void RestoreOptimizer(string path, Optimizer optimizer, JsonObject json, Dictionary<string, Tensor> tensors)
    {
        string type = Data.MessageText.Printable(Required(json, "type").GetValue<string>());
        if (type != optimizer.GetType().Name)
            throw new InvalidDataException($"{path}: the checkpoint holds {type} state, not {optimizer.GetType().Name} state.");
        var groups = Required(json, "param_groups").AsArray();
        if (groups.Count != optimizer.ParamGroups.Count)
            throw new InvalidDataException($"{path}: the checkpoint's {type} has {groups.Count} parameter groups, this one {optimizer.ParamGroups.Count}.");
        for (int g = 0; g < groups.Count; g++)
        {
            var saved = NotNull(groups[g]).AsObject();
            var group = optimizer.ParamGroups[g];
            var steps = Required(saved, "steps").AsArray();
            if (steps.Count != group.Params.Count)
                throw new InvalidDataException($"{path}: parameter group {g} held {steps.Count} parameters, this one {group.Params.Count}.");
            group.Lr = Required(saved, "lr").GetValue<float>();
            group.WeightDecay = Required(saved, "weight_decay").GetValue<float>();
            group.Momentum = saved["momentum"]?.GetValue<float>();
            for (int i = 0; i < group.Params.Count; i++)
            {
                var p = group.Params[i];
                int step = NotNull(steps[i]).GetValue<int>();
                // Buffers a rule had not created yet (Sgd's momentum before its first momentum step) are absent: null.
                var buffers = new float[]?[optimizer.StateBufferCount];
                for (int k = 0; k < buffers.Length; k++)
                {
                    string key = $"{OptimizerPrefix}{g}.{i}.{k}";
                    if (!tensors.TryGetValue(key, out var t)) continue;
                    if (t.Shape != p.Shape)
                        throw new InvalidDataException($"{path}: tensor \"{key}\" has shape {t.Shape}, its parameter {p.Shape}.");
                    buffers[k] = t.ToArray();
                }
                if (step == 0) continue;
                optimizer.SetState(p, step, buffers);
            }
        }
    }
}

/// <summary>Where a training run stands: epochs completed, optimiser steps taken, and each completed epoch's logs.</summary>
public sealed record TrainingProgress(int Epoch, long Step, IReadOnlyList<IReadOnlyDictionary<string, double>> History);
