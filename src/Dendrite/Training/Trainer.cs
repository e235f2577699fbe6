using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Training;

/// <summary>
/// Keras-style training on any <see cref="Module"/>: <c>model.Fit(…)</c>, <c>model.Evaluate(…)</c>, <c>model.Predict(…)</c>.
/// Each Fit step is the PyTorch loop: forward, loss, ZeroGrad, Backward, Step.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs and returns the per-epoch history. After each epoch it evaluates on
    /// <paramref name="validation"/> (keys "val_loss", "val_accuracy", or with <paramref name="validationName"/> as prefix)
    /// and steps <paramref name="scheduler"/> (after every batch instead when <paramref name="schedulePerBatch"/>, as
    /// OneCycleLR expects). A progress bar is shown unless <paramref name="verbose"/> is false. A callback ends training
    /// early by answering <see cref="ICallback.StopTraining"/> (see <see cref="EarlyStopping"/>).
    /// <paramref name="initialEpoch"/> (Keras' <c>initial_epoch</c>) resumes a run: epochs initialEpoch + 1 … epochs run, with
    /// the data order those epochs have in an uninterrupted run; the history holds only the epochs run here.
    /// With <paramref name="shard"/>, each epoch trains on that rank's part of the data only (data-parallel training).
    /// </summary>
    /// <param name="metrics">
    /// Epoch metrics to log (Keras' <c>metrics</c>), e.g. <see cref="Metric.RocAuc"/> or <see cref="Metric.R2"/>, on the
    /// training data and, prefixed, on <paramref name="validation"/>. When given, they replace the accuracy that is
    /// otherwise logged whenever the outputs look like a classifier's, so a regression model logs no accuracy.
    /// </param>
    /// <param name="trainStep">
    /// What one step does (Keras' <c>train_step</c>); <see cref="TrainContext.DefaultStep"/> when null: forward, loss
    /// (with <paramref name="classWeights"/>), backward, gradient clipping, the optimiser's step.
    /// </param>
    /// <param name="classWeights">
    /// Keras' <c>class_weight</c>: a weight per class index (classes not listed weigh 1); each sample's loss counts
    /// with its class's weight, Σᵢ w(yᵢ)·lᵢ / N, for any loss that averages over samples. Training only: validation
    /// losses are unweighted.
    /// </param>
    /// <param name="gradientClipNorm">Clips the gradients' total 2-norm to this before each update (<see cref="Utils.ClipGradNorm"/>).</param>
    /// <param name="gradientClipValue">Clamps every gradient element into ± this before each update (<see cref="Utils.ClipGradValue"/>).</param>
    /// <param name="prefetch">Build the next batch on a worker thread while this one trains (<see cref="DataLoader.Prefetch"/>).</param>
    /// <remarks>
    /// Datasets with several inputs or a mask (<see cref="IBatchDataset"/>: <see cref="MultiInputDataset"/>,
    /// <see cref="SequenceDataset"/>) hand the model every input and the mask when it is an <see cref="IMultiInputModule"/>.
    /// </remarks>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public static History Fit(this Module model, IDataset train, Optimizer optimizer, LossFunction loss, int epochs = 1,
        int batchSize = 32, IDataset? validation = null, bool shuffle = true, ulong seed = 0, LRScheduler? scheduler = null,
        IEnumerable<ICallback>? callbacks = null, bool verbose = true, string validationName = "val", TextWriter? output = null,
        bool schedulePerBatch = false, int initialEpoch = 0, IReadOnlyList<IMetric>? metrics = null, DataShard? shard = null,
        TrainStep? trainStep = null, IReadOnlyDictionary<int, double>? classWeights = null, double? gradientClipNorm = null,
        double? gradientClipValue = null, bool prefetch = false)
    {
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"Fit: epochs must be >= 0, got {epochs}.");
        if (initialEpoch < 0) throw new ArgumentOutOfRangeException(nameof(initialEpoch), $"Fit: initialEpoch must be >= 0, got {initialEpoch}.");
        if (gradientClipNorm is { } clipNorm && !(clipNorm >= 0 && double.IsFinite(clipNorm)))
            throw new ArgumentOutOfRangeException(nameof(gradientClipNorm), $"Fit: gradientClipNorm must be a finite number >= 0, got {clipNorm}.");
        if (gradientClipValue is { } clipValue && !(clipValue >= 0 && double.IsFinite(clipValue)))
            throw new ArgumentOutOfRangeException(nameof(gradientClipValue), $"Fit: gradientClipValue must be a finite number >= 0, got {clipValue}.");
        foreach (var (c, w) in classWeights ?? new Dictionary<int, double>())
            if (c < 0 || !(w >= 0 && double.IsFinite(w)))
                throw new ArgumentOutOfRangeException(nameof(classWeights), $"Fit: classWeights needs class indices >= 0 and finite weights >= 0, got {c}: {w}.");
        model.ReportUnregisteredModules(output ?? Console.Error);
        // recycle: each step's batch, activations and gradients reuse the previous step's storage.
        var loader = new DataLoader(train, batchSize, shuffle, seed, recycle: true, prefetch: prefetch)
        {
            Epoch = initialEpoch,
            Shard = shard,
        };
        var collate = Collator(train);
        var step = trainStep ?? TrainContext.DefaultStep;
        var all = (callbacks ?? []).ToList();
        if (verbose) all.Insert(0, new ProgressBar(output ?? Console.Out));
        var context = new TrainContext(model, optimizer, loss, epochs, all, classWeights, gradientClipNorm, gradientClipValue)
        {
            StepsPerEpoch = loader.Count,
        };
        var history = new History();
        foreach (var c in all) c.OnTrainBegin(context);
        for (int epoch = initialEpoch + 1; epoch <= epochs; epoch++)
        {
            context.Epoch = epoch;
            foreach (var c in all) c.OnEpochBegin(epoch, epochs, loader.Count);
            var clock = Stopwatch.StartNew();
            model.Train();
            double lossSum = 0;
            long correct = 0, seen = 0;
            bool hasAccuracy = metrics is null;
            foreach (var m in metrics ?? []) m.Reset();
            int stepInEpoch = 0;
            var batchLogs = new Dictionary<string, double>();
            var device = DeviceOf(model);
            foreach (var hostBatch in loader.Batches(collate))
            {
                context.Step = ++stepInEpoch;
                var batch = hostBatch.To(device);
                var (l, prediction) = step(context, batch);
                float value = l.Item();
                context.ThrowIfDiverged(value);   // also for a train step that does not call Optimize
                if (schedulePerBatch) scheduler?.Step();
                int n = batch.Count;
                seen += n;
                lossSum += value * n;
                var seenPrediction = OnHost(prediction);
                if (hasAccuracy && Metrics.CorrectCount(seenPrediction, hostBatch.Target) is { } ok) correct += ok;
                else hasAccuracy = false;
                foreach (var m in metrics ?? []) m.Update(seenPrediction, hostBatch.Target);
                batchLogs["loss"] = lossSum / seen;
                if (hasAccuracy) batchLogs["accuracy"] = (double)correct / seen;
                foreach (var c in all) c.OnBatchEnd(stepInEpoch, (int)seen, batchLogs);
            }
            var logs = new Dictionary<string, double> { ["loss"] = seen == 0 ? double.NaN : lossSum / seen };
            if (hasAccuracy) logs["accuracy"] = seen == 0 ? double.NaN : (double)correct / seen;
            foreach (var m in metrics ?? []) logs[m.Name] = m.Result();
            logs["lr"] = optimizer.Lr;
            logs["time"] = clock.Elapsed.TotalSeconds;
            if (validation is not null && metrics is not null)
            {
                foreach (var (key, value) in model.Evaluate(validation, loss, metrics, Math.Max(batchSize, 256)))
                    logs[validationName + "_" + key] = value;
            }
            else if (validation is not null)
            {
                var (valLoss, valAccuracy) = model.Evaluate(validation, loss, Math.Max(batchSize, 256));
                logs[validationName + "_loss"] = valLoss;
                if (valAccuracy is { } a) logs[validationName + "_accuracy"] = a;
            }
            if (!schedulePerBatch) scheduler?.Step();
            history.Add(logs);
            foreach (var c in all) c.OnEpochEnd(epoch, logs);
            if (all.Any(c => c.StopTraining)) break;
        }
        foreach (var c in all) c.OnTrainEnd(history);
        return history;
    }

    /// <summary>
    /// The model's output for a batch: every input and the mask for an <see cref="IMultiInputModule"/>, else its one
    /// input through <see cref="Module.Call"/>.
    /// </summary>
    internal static Tensor Forward(Module model, Batch batch)
    {
        if (model is IMultiInputModule multi) return multi.Forward(batch.Inputs, batch.Mask);
        if (batch.Inputs.Count != 1)
            throw new InvalidOperationException(
                $"Fit: the batches carry {batch.Inputs.Count} inputs, but {model.GetType().Name} takes one. Hint: implement IMultiInputModule.Forward(inputs, mask) on the model.");
        return model.Call(batch.Input);
    }

    /// <summary>How the loop builds a batch from a dataset: every input and the mask when it has them.</summary>
    internal static BatchCollator<Batch> Collator(IDataset data) => data is IBatchDataset rich
        ? rich.BatchOf
        : indices =>
        {
            var (x, y) = data.GetBatch(indices);
            return new Batch([x], y);
        };

    /// <summary>Mean loss and accuracy (null when accuracy does not apply) over a dataset, in eval mode without gradients.</summary>
    /// <summary>Where the model's parameters live (the CPU for a model without any): batches are moved there.</summary>
    private static Device DeviceOf(Module model) => model.Parameters().FirstOrDefault()?.Device ?? Device.Cpu;

    /// <summary>A host copy outside the graph for the metrics, which read values on the host.</summary>
    private static Tensor OnHost(Tensor t) => t.Device.IsHost ? t : t.Detach().To(Device.Cpu);

    public static (double Loss, double? Accuracy) Evaluate(this Module model, IDataset data, LossFunction loss, int batchSize = 256) =>
        EvaluateWith(model, data, loss, batchSize, null);

    /// <summary>
    /// Mean loss (key "loss") and each of <paramref name="metrics"/> (under its name) over a dataset, in eval mode
    /// without gradients; no accuracy unless it is one of the metrics.
    /// </summary>
    public static Dictionary<string, double> Evaluate(this Module model, IDataset data, LossFunction loss,
        IReadOnlyList<IMetric> metrics, int batchSize = 256)
    {
        var results = new Dictionary<string, double> { ["loss"] = EvaluateWith(model, data, loss, batchSize, metrics).Loss };
        foreach (var m in metrics) results[m.Name] = m.Result();
        return results;
    }

    /// <summary>The evaluation loop: accuracy when no metrics are given, else the metrics, updated batch by batch.</summary>
    private static (double Loss, double? Accuracy) EvaluateWith(Module model, IDataset data, LossFunction loss, int batchSize,
        IReadOnlyList<IMetric>? metrics)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            double lossSum = 0;
            long correct = 0, seen = 0;
            bool hasAccuracy = metrics is null;
            foreach (var m in metrics ?? []) m.Reset();
            var device = DeviceOf(model);
            foreach (var hostBatch in new DataLoader(data, batchSize, recycle: true).Batches(Collator(data)))
            {
                var batch = hostBatch.To(device);
                var onDevice = Forward(model, batch);
                var y = hostBatch.Target;
                int n = batch.Count;
                lossSum += loss(onDevice, batch.Target).Item() * n;
                seen += n;
                var output = OnHost(onDevice);
                if (hasAccuracy && Metrics.CorrectCount(output, y) is { } ok) correct += ok;
                else hasAccuracy = false;
                foreach (var m in metrics ?? []) m.Update(output, y);
            }
            return (lossSum / seen, hasAccuracy ? (double)correct / seen : null);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>The model's outputs for every input of <paramref name="inputs"/> (samples along dimension 0), in eval mode.</summary>
    public static Tensor Predict(this Module model, Tensor inputs, int batchSize = 256)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            var parts = new List<Tensor>();
            for (int start = 0; start < inputs.Shape[0]; start += batchSize)
                parts.Add(OnHost(model.Call(inputs.Slice(start, Math.Min(batchSize, inputs.Shape[0] - start)).To(DeviceOf(model)))));
            return F.Cat([.. parts], 0);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
