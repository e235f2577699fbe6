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
    public static string? FindLatest(string directory) => FindAll(directory) is { Count: > 0 } all ? all[^1] : null;

    /// <summary>The checkpoints in <paramref name="directory"/> ("epoch-NNNN.ckpt.safetensors"), by epoch, lowest first.</summary>
    public static IReadOnlyList<string> FindAll(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        return [.. Directory.EnumerateFiles(directory, FilePrefix + "*" + FileSuffix)
            .Select(path => (Path: path, Name: Path.GetFileName(path)))
            .Select(f => (f.Path, Epoch: int.TryParse(f.Name.AsSpan(FilePrefix.Length, f.Name.Length - FilePrefix.Length - FileSuffix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out int e) ? e : -1))
            .Where(f => f.Epoch >= 0)
            .OrderBy(f => f.Epoch)
            .Select(f => f.Path)];
    }

    /// <summary>
    /// Writes a checkpoint of the training state after <paramref name="progress"/>'s epoch, atomically. Besides the default
    /// generator, it keeps the state of every generator in <paramref name="generators"/> (an augmentation's), by name.
    /// </summary>
    /// <param name="run">The run the checkpoint belongs to, so a resume can tell another run's checkpoints from its own.</param>
    /// <exception cref="TrainingDivergedException">A model tensor holds NaN or infinity: nothing is written.</exception>
    public static void Save(string path, Module model, Optimizer optimizer, LRScheduler? scheduler, TrainingProgress progress,
        IReadOnlyDictionary<string, Generator>? generators = null, RunIdentity? run = null)
    {
        // Checked before the write, so a diverged state never replaces a good checkpoint.
        if (ParameterCheck.FirstNonFinite(model) is { } bad)
            throw new TrainingDivergedException(
                $"{path}: not saved: \"{bad}\" holds NaN or infinity after epoch {progress.Epoch}, step {progress.Step}.");
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
                    // As JsonNode, so the non-generic Add is chosen: JsonArray.Add<T> serialises its value through
                    // reflection, which a NativeAOT build does not have.
                    steps.Add((JsonNode)0);
                    continue;
                }
                steps.Add((JsonNode)s.Step);
                for (int k = 0; k < s.Buffers.Length; k++)
                    if (s.Buffers[k] is { } buffer)
                        tensors[$"{OptimizerPrefix}{g}.{i}.{k}"] = Tensor.FromArray(buffer, group.Params[i].Shape.ToArray());
            }
            groups.Add((JsonNode)new JsonObject
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
        if (run is not null) json["run"] = run.ToJson();
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
    /// where training stopped. The model may live on any device, whichever device wrote the checkpoint: the weights and
    /// the optimiser's state go where its parameters are.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed or was written for a different model or optimiser.</exception>
    /// <remarks>
    /// Everything is validated before anything is restored: every tensor finite and known (model weights and the
    /// optimiser's buffers, nothing else), hyperparameters in range (lr positive, weight decay and momentum non-negative,
    /// all finite), counts non-negative, random generator words 64-bit hex numbers.
    /// </remarks>
    public static TrainingProgress Load(string path, Module model, Optimizer optimizer, LRScheduler? scheduler = null,
        IReadOnlyDictionary<string, Generator>? generators = null)
    {
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        if (!metadata.TryGetValue(MetadataKey, out var text))
            throw new InvalidDataException($"{path}: not a checkpoint (no \"{MetadataKey}\" metadata).");
        try
        {
            var json = StrictJson.Parse(text, $"{path}: checkpoint state")?.AsObject() ?? throw new FormatException("null");
            ValidateTensors(path, tensors, optimizer);
            ValidateCounts(path, json);
            var optimizerState = json["optimizer"]?.AsObject() ?? throw new FormatException("no \"optimizer\"");
            ValidateHyperparameters(path, optimizerState);
            // Parsed before anything is restored, so a bad word leaves the model and the generators as they were.
            var rng = Required(json, "rng");
            var states = (generators ?? new Dictionary<string, Generator>()).Prepend(KeyValuePair.Create("default", Generator.Default))
                .Select(kv => (Generator: kv.Value, State: Required(rng, kv.Key).AsArray().Select((w, i) => RngWord(NotNull(w).GetValue<string>(), kv.Key, i)).ToArray()))
                .ToList();
            RestoreModel(path, model, tensors);
            RestoreOptimizer(path, optimizer, optimizerState, tensors);
            if (scheduler is not null)
            {
                var s = json["scheduler"]?.AsObject()
                    ?? throw new InvalidDataException($"{path}: the checkpoint has no scheduler state, but a {scheduler.GetType().Name} was given.");
                string type = Data.MessageText.Printable(Required(s, "type").GetValue<string>());
                if (type != scheduler.GetType().Name)
                    throw new InvalidDataException($"{path}: the checkpoint holds a {type} scheduler, not a {scheduler.GetType().Name}.");
                scheduler.SetCount(Required(s, "last_epoch").GetValue<int>());
            }
            foreach (var (g, state) in states) g.SetState(state);
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

    /// <summary>
    /// The model a checkpoint holds, rebuilt from the architecture recorded in it with its weights (validated as
    /// <see cref="Load"/> validates them), ready for <see cref="ModelFile.Save"/>: a finished run's last checkpoint
    /// becomes a model file even when the run died while writing its model.
    /// </summary>
    /// <param name="device">Where the model goes (the host when null), whichever device wrote the checkpoint.</param>
    /// <exception cref="InvalidDataException">Not a checkpoint, no architecture recorded, or weights that do not fit it or are not finite.</exception>
    public static Module LoadModel(string path, Device? device = null)
    {
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        if (!metadata.ContainsKey(MetadataKey))
            throw new InvalidDataException($"{path}: not a checkpoint (no \"{MetadataKey}\" metadata).");
        if (!metadata.TryGetValue(ModelFile.ArchitectureKey, out var architecture))
            throw new InvalidDataException($"{path}: the checkpoint records no architecture (its model has a module without a " +
                "registered description); build the model in code and load it with Checkpoint.Load.");
        Module model;
        try
        {
            model = Architecture.FromJson(architecture);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        foreach (var (key, tensor) in tensors)
            if (key.StartsWith(ModelPrefix, StringComparison.Ordinal) && !ParameterCheck.IsFinite(tensor))
                throw new InvalidDataException($"{path}: tensor \"{key}\" holds NaN or infinity.");
        RestoreModel(path, model, tensors);
        if (device is not null) model.To(device);
        return model;
    }

    /// <summary>The run that wrote the checkpoint at <paramref name="path"/>, or null when it records none (written before runs were recorded).</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or its run record is malformed.</exception>
    public static RunIdentity? ReadRun(string path)
    {
        var metadata = SafeTensors.ReadMetadata(path);
        if (!metadata.TryGetValue(MetadataKey, out var text))
            throw new InvalidDataException($"{path}: not a checkpoint (no \"{MetadataKey}\" metadata).");
        try
        {
            var run = StrictJson.Parse(text, $"{path}: checkpoint state")?["run"];
            return run is null ? null : RunIdentity.FromJson(run.AsObject());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: malformed checkpoint run record: {e.Message}", e);
        }
    }

    private static ulong RngWord(string text, string generator, int index) =>
        text.Length is >= 1 and <= 16 && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong word)
            ? word
            : throw new FormatException($"random generator \"{generator}\" word {index} is not a 64-bit hex number (1 to 16 hex digits): \"{Truncate(text)}\"");

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    // Only the model's weights and the optimiser's buffers belong in a checkpoint, and none may hold NaN or infinity.
    private static void ValidateTensors(string path, Dictionary<string, Tensor> tensors, Optimizer optimizer)
    {
        foreach (var (key, tensor) in tensors)
        {
            if (!key.StartsWith(ModelPrefix, StringComparison.Ordinal) && !IsOptimizerKey(key, optimizer))
                throw new InvalidDataException($"{path}: unknown tensor \"{Truncate(key)}\" (a checkpoint holds \"{ModelPrefix}…\" weights and " +
                    $"\"{OptimizerPrefix}GROUP.PARAM.BUFFER\" state of this {optimizer.GetType().Name}).");
            if (!ParameterCheck.IsFinite(tensor))
                throw new InvalidDataException($"{path}: tensor \"{key}\" holds NaN or infinity.");
        }
    }

    private static bool IsOptimizerKey(string key, Optimizer optimizer)
    {
        if (!key.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) return false;
        var parts = key[OptimizerPrefix.Length..].Split('.');
        return parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int g) && g < optimizer.ParamGroups.Count
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < optimizer.ParamGroups[g].Params.Count
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k < optimizer.StateBufferCount;
    }

    private static void ValidateCounts(string path, JsonObject json)
    {
        int epoch = Required(json, "epoch").GetValue<int>();
        long step = Required(json, "step").GetValue<long>();
        if (epoch < 0 || step < 0)
            throw new InvalidDataException($"{path}: epoch {epoch} and step {step} must not be negative.");
        if (json["scheduler"] is JsonObject s && Required(s, "last_epoch").GetValue<int>() is var last and < 0)
            throw new InvalidDataException($"{path}: the scheduler's step count {last} must not be negative.");
    }

    private static void ValidateHyperparameters(string path, JsonObject optimizer)
    {
        var groups = Required(optimizer, "param_groups").AsArray();
        for (int g = 0; g < groups.Count; g++)
        {
            var group = NotNull(groups[g]).AsObject();
            Hyperparameter(path, group, g, "lr", positive: true);
            Hyperparameter(path, group, g, "weight_decay", positive: false);
            if (group["momentum"] is not null) Hyperparameter(path, group, g, "momentum", positive: false);
            var steps = Required(group, "steps").AsArray();
            for (int i = 0; i < steps.Count; i++)
                if (NotNull(steps[i]).GetValue<int>() is var step and < 0)
                    throw new InvalidDataException($"{path}: parameter {i} of group {g} has step count {step}.");
        }
    }

    private static float Hyperparameter(string path, JsonObject group, int index, string key, bool positive)
    {
        float value = Required(group, key).GetValue<float>();
        if (!float.IsFinite(value) || (positive ? !(value > 0) : value < 0))
            throw new InvalidDataException($"{path}: parameter group {index}'s {key} is {value.ToString(CultureInfo.InvariantCulture)}; " +
                $"it must be a finite number {(positive ? "above 0" : "of at least 0")}.");
        return value;
    }

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
        foreach (var (key, target) in own) target.CopyFrom(weights[key]);   // the model may live on any device
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
            group.Lr = Hyperparameter(path, saved, g, "lr", positive: true);
            group.WeightDecay = Hyperparameter(path, saved, g, "weight_decay", positive: false);
            group.Momentum = saved["momentum"] is null ? null : Hyperparameter(path, saved, g, "momentum", positive: false);
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
