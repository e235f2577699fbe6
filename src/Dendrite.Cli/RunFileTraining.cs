using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;
using Dendrite.Visualization;

namespace Dendrite.Cli;

/// <summary>
/// <c>dendrite train run.json</c>: trains what a run file describes on the user's own data, with the guards of the
/// preset runs (claimed output directories, checkpoints that know their run, --resume, the divergence guard), and
/// writes a model file that carries the class names, the input preprocessing and the final metrics.
/// </summary>
internal static class RunFileTraining
{
    /// <summary>
    /// Runs <paramref name="run"/>; the command line's values in <paramref name="options"/> override the file's
    /// (<paramref name="seedGiven"/>: --seed was on the command line). Returns the final validation accuracy in [0, 1].
    /// </summary>
    public static double Run(RunFile run, MnistRunOptions options, bool seedGiven, TextWriter output, bool interactive = false)
    {
        int epochs = options.Epochs ?? run.Epochs, batchSize = options.BatchSize ?? run.BatchSize;
        float lr = options.Lr ?? (float)run.Optimizer.Lr;
        ulong seed = seedGiven ? options.Seed : run.Seed;
        string? outDir = options.OutDir ?? run.OutDir, checkpointDir = options.CheckpointDir ?? run.CheckpointDir;
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {epochs}.");
        if (batchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {batchSize}.");
        if (!(lr > 0) || !float.IsFinite(lr)) throw new ArgumentException($"--lr must be a positive number, got {lr}.");
        if (options.Resume && checkpointDir is null)
            throw new ArgumentException("--resume needs --checkpoint-dir (or \"outputs.checkpoint_dir\" in the run file): the directory to resume from.");
        if (options.Override && !options.Resume) throw new ArgumentException("--override applies to --resume: it lets a resume change hyperparameters.");
        if (options.Fresh && options.Resume) throw new ArgumentException("--fresh starts over and --resume continues: give one of them.");
        if (options.Fresh && checkpointDir is null) throw new ArgumentException("--fresh applies to --checkpoint-dir.");
        if (options.TrainLimit is < 1) throw new ArgumentException($"--train-samples must be at least 1, got {options.TrainLimit}.");
        if (options.VizDir is not null) throw new ArgumentException("--viz applies to the MNIST presets (train mnist-cnn --viz DIR).");

        Torch.ManualSeed(seed);
        var model = run.BuildModel();
        using var directories = RunDirectories.Claim(output, ("--out", outDir, RunDirectories.StateBytes(model)),
            ("--checkpoint-dir", checkpointDir, RunDirectories.StateBytes(model, copies: 3 * epochs)));
        if (checkpointDir is not null && !options.Resume) RunRecord.ClaimForNewRun(checkpointDir, options.Fresh, output);
        var data = RunData.Load(run, seed, options.TrainLimit);
        CheckFits(model, data, run.File);
        if (options.Summary) output.Write(model.Summary([1, .. data.InputShape]).ToString());
        if (options.Device is { } device) model.To(device);
        if (batchSize > data.Train.Count)
            throw new ArgumentException($"--batch-size {batchSize} is larger than the {data.Train.Count} training samples; " +
                $"give at most {data.Train.Count} (the whole set in one step).");
        var optimizer = CreateOptimizer(run.Optimizer, model, lr);
        int stepsPerEpoch = (data.Train.Count + batchSize - 1) / batchSize;
        var scheduler = CreateScheduler(run.Schedule, optimizer, lr, epochs, stepsPerEpoch);
        bool perBatch = run.Schedule.Name == "one-cycle";
        string source = run.Data.Path ?? "MNIST";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Training {run.ModelName} from {run.File} on {source}: {data.Train.Count} training and {data.Validation.Count} {(data.ValidationName == "test" ? "test" : "validation")} {data.Noun}, " +
            $"{data.Classes.Length} classes, {epochs} epochs, batch {batchSize}, {run.Optimizer.Name} lr {lr}{(run.Schedule.Name == "none" ? "" : $" ({run.Schedule.Name})")}, seed {seed}, {Torch.NumThreads} threads" +
            $"{(options.Device is { IsHost: false } d ? $", on {d.Name}" : "")}"));

        var identity = RunRecord.Of(run.File + ":" + run.ModelName, seed, epochs, batchSize, lr, perBatch, data.Unaugmented);
        TrainingProgress? resumed = options.Resume
            ? Resume(checkpointDir!, options.Override, epochs, model, optimizer, scheduler, data.Generators, identity, perBatch, lr, output)
            : null;
        // A hundred times the loss of guessing uniformly over the classes: a healthy run starts near ln C and falls.
        var guard = new DivergenceGuard(model, 100 * Math.Log(Math.Max(2, data.Classes.Length)));
        var callbacks = new List<ICallback> { new ProgressBar(output, interactive), guard };
        if (run.Schedule.Name == "reduce-on-plateau")
            callbacks.Add(new ReduceLROnPlateau(run.Schedule.Monitor.Replace("val_", data.ValidationName + "_", StringComparison.Ordinal),
                run.Schedule.Monitor.Contains("loss", StringComparison.Ordinal) ? "min" : "max", run.Schedule.Factor, run.Schedule.Patience, log: output));
        if (checkpointDir is not null)
            callbacks.Add(new CheckpointCallback(checkpointDir, model, optimizer, scheduler, resumed, data.Generators, identity));
        // TensorBoard event files beside the model, written as the epochs end.
        using var tensorboard = outDir is not null ? new TensorBoardLogger(Path.Combine(outDir, "tensorboard")) : null;
        if (tensorboard is not null) callbacks.Add(tensorboard);
        var history = new History();
        foreach (var logs in resumed?.History ?? []) history.Add(logs);
        var more = model.Fit(data.Train, optimizer, Losses.CrossEntropy, epochs, batchSize, validation: data.Validation, seed: seed,
            validationName: data.ValidationName, scheduler: scheduler, schedulePerBatch: perBatch, callbacks: callbacks, verbose: false,
            initialEpoch: resumed?.Epoch ?? 0, metrics: Metrics(run.Metrics));
        foreach (var logs in more.Rows()) history.Add(logs);
        if (guard.Steps == 0)
            throw new ArgumentException($"training took no step ({data.Train.Count} samples, --batch-size {batchSize}); nothing was saved.");

        var final = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (string key in history.Values.Keys.Where(k => k.StartsWith(data.ValidationName + "_", StringComparison.Ordinal)))
            final[key] = history[key][^1];
        double accuracy = final[data.ValidationName + "_accuracy"];
        string label = data.ValidationName == "test" ? "test" : "validation";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Final {label} accuracy: {accuracy * 100:0.00}%") +
            (final.Count > 2 ? " (" + string.Join(", ", final.Where(kv => !kv.Key.EndsWith("_accuracy", StringComparison.Ordinal))
                .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.0000}"))) + ")" : ""));
        if (data.Test is { } test)
        {
            var (outputs, targets) = PredictAll(model, test);
            var confusion = ConfusionMatrix.FromOutputs(outputs, targets, data.Classes);
            final["test_accuracy"] = confusion.Accuracy;
            final["test_f1_macro"] = confusion.F1(ClassAverage.Macro);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Test accuracy: {confusion.Accuracy * 100:0.00}% ({test.Count} {data.Noun} from {run.Data.Test}), macro F1 {confusion.F1(ClassAverage.Macro):0.0000}"));
        }
        if (outDir is not null)
        {
            if (ParameterCheck.FirstNonFinite(model) is { } bad)
                throw new TrainingDivergedException($"training diverged by epoch {epochs}, step {guard.Step}: \"{bad}\" holds NaN or infinity; {outDir} was left as it was.");
            string modelPath = Path.Combine(outDir, "model.safetensors"), historyPath = Path.Combine(outDir, "history.csv");
            model.Save(modelPath, data.InputShape, Metadata(data, final));
            AtomicFile.WriteAllText(historyPath, history.ToCsv());
            string reportPath = Path.Combine(outDir, "report.html");
            WriteReport(reportPath, run, options, model, data, history, epochs, batchSize, lr, seed);
            output.WriteLine($"Saved {modelPath} (with class names, preprocessing and metrics), {historyPath} and {reportPath}" +
                $" (TensorBoard: tensorboard --logdir {Path.Combine(outDir, "tensorboard")})");
        }
        return accuracy;
    }

    /// <summary>
    /// report.html: the curves, the confusion matrix and misclassified inputs of the test set (else the validation
    /// part), the model summary, and the run file as given with the values the command line changed.
    /// </summary>
    private static void WriteReport(string path, RunFile run, MnistRunOptions options, NN.Module model, RunData data, History history,
        int epochs, int batchSize, float lr, ulong seed)
    {
        var judged = data.Test ?? data.Validation;
        var (matrix, wrong) = TrainingReport.Evaluate(model, judged, data.Classes, examples: 16);
        var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("run_file", run.File);
            json.WriteNumber("epochs", epochs);
            json.WriteNumber("batch_size", batchSize);
            json.WriteNumber("lr", lr);
            json.WriteNumber("seed", seed);
            if (options.TrainLimit is { } limit) json.WriteNumber("train_samples", limit);
            json.WriteString("device", options.Device?.Name ?? "cpu");
            json.WriteNumber("threads", Torch.NumThreads);
            json.WriteEndObject();
        }
        string settings = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        new TrainingReport
        {
            Title = $"dendrite train {Path.GetFileName(run.File)} ({run.ModelName}, judged on {(data.Test is null ? data.ValidationName : "test")})",
            History = history,
            Confusion = matrix,
            Misclassified = wrong,
            ModelSummary = model.Summary([1, .. data.InputShape]).ToString(),
            RunDescription = "// the settings this run used\n" + settings + "\n// " + run.File + "\n" + File.ReadAllText(run.File),
        }.Write(path);
    }

    /// <summary>The metadata that lets predict and eval read raw inputs and name the classes.</summary>
    public static Dictionary<string, string> Metadata(RunData data, IReadOnlyDictionary<string, double> metrics)
    {
        var scores = new JsonObject();
        foreach (var (key, value) in metrics) scores[key] = double.IsFinite(value) ? value : null;
        return new Dictionary<string, string>
        {
            [ModelFile.ClassesKey] = new JsonArray([.. data.Classes.Select(c => (JsonNode)JsonValue.Create(c))]).ToJsonString(),
            [ModelFile.PreprocessingKey] = data.Preprocessing.ToJson().ToJsonString(),
            [ModelFile.MetricsKey] = scores.ToJsonString(),
        };
    }

    /// <summary>
    /// The model must take the data's samples and give one score per class: checked with a forward pass of two zero
    /// samples before training, so a wrong input size or class count is one message, not a failure at the first step.
    /// </summary>
    private static void CheckFits(Module model, RunData data, string file)
    {
        Tensor output;
        try
        {
            output = model.Predict(Tensor.Zeros([2, .. data.InputShape]));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{file}: the model does not take the data's samples of shape {data.InputShape}: {Program.OneLine(e.Message)}");
        }
        int perSample = output.Shape.Rank == 0 ? 0 : output.Numel / output.Shape[0];
        if (output.Shape.Rank != 2 || perSample != data.Classes.Length)
            throw new InvalidDataException($"{file}: the model outputs {output.Shape} for 2 samples ({perSample} values each), but the data has " +
                $"{data.Classes.Length} classes ({string.Join(", ", data.Classes.Take(10))}{(data.Classes.Length > 10 ? ", …" : "")}); " +
                $"make its last layer give {data.Classes.Length} outputs.");
    }

    private static Optimizer CreateOptimizer(OptimizerSpec spec, Module model, float lr) => spec.Name switch
    {
        "sgd" => new Sgd(model.Parameters(), lr: lr, momentum: spec.Momentum, weightDecay: spec.WeightDecay),
        "adamw" => new AdamW(model.Parameters(), lr: lr, weightDecay: spec.WeightDecay),
        _ => new Adam(model.Parameters(), lr: lr, weightDecay: spec.WeightDecay),
    };

    private static LRScheduler? CreateScheduler(ScheduleSpec spec, Optimizer optimizer, float lr, int epochs, int stepsPerEpoch) => spec.Name switch
    {
        "step" => new StepLR(optimizer, spec.StepSize, spec.Gamma),
        "cosine" => new CosineAnnealingLR(optimizer, spec.TMax ?? epochs, spec.EtaMin),
        "one-cycle" => new OneCycleLR(optimizer, lr, epochs * stepsPerEpoch),
        _ => null,
    };

    /// <summary>The run file's metric names as Fit's metrics; accuracy always, since the run reports it.</summary>
    private static IReadOnlyList<IMetric> Metrics(IReadOnlyList<string> names)
    {
        var metrics = new List<IMetric> { Metric.Accuracy() };
        foreach (string name in names)
            switch (name)
            {
                case "precision": metrics.Add(Metric.Precision()); break;
                case "recall": metrics.Add(Metric.Recall()); break;
                case "f1": metrics.Add(Metric.F1()); break;
                case "auc": metrics.Add(Metric.RocAuc()); break;
                case "average_precision": metrics.Add(Metric.AveragePrecision()); break;
            }
        return metrics;
    }

    /// <summary>The model's outputs for every sample of <paramref name="data"/>, with the targets, batch by batch.</summary>
    public static (Tensor Outputs, Tensor Targets) PredictAll(Module model, IDataset data, int batchSize = 256)
    {
        var outputs = new List<Tensor>();
        var targets = new List<Tensor>();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int[] indices = [.. Enumerable.Range(start, Math.Min(batchSize, data.Count - start))];
            var (x, y) = data.GetBatch(indices);
            outputs.Add(model.Predict(x).To(Device.Cpu));
            targets.Add(y);
        }
        return (F.Cat([.. outputs]), F.Cat([.. targets]));
    }

    private static TrainingProgress Resume(string checkpointDir, bool allowChanges, int epochs, Module model, Optimizer optimizer,
        LRScheduler? scheduler, IReadOnlyDictionary<string, Generator> generators, RunIdentity run, bool oneCycle, float lr, TextWriter output)
    {
        string latest = Checkpoint.FindLatest(checkpointDir)
            ?? throw new FileNotFoundException($"--resume: no checkpoint (epoch-NNNN.ckpt.safetensors) in {checkpointDir}.");
        var changes = RunRecord.CheckResume(latest, run, allowChanges);
        var progress = Checkpoint.Load(latest, model, optimizer, scheduler, generators);
        if (progress.Epoch >= epochs)
            throw new ArgumentException($"--resume: {latest} already holds {progress.Epoch} epochs; pass --epochs greater than {progress.Epoch} to train further.");
        if (changes.Count > 0 && !oneCycle)
            foreach (var group in optimizer.ParamGroups) group.Lr = lr;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Resumed from {latest}: epoch {progress.Epoch}, step {progress.Step}"));
        if (changes.Count > 0) output.WriteLine($"--override: continuing with changed hyperparameters: {string.Join(", ", changes)}");
        return progress;
    }
}
