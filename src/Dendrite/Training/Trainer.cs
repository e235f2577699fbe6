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
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public static History Fit(this Module model, IDataset train, Optimizer optimizer, LossFunction loss, int epochs = 1,
        int batchSize = 32, IDataset? validation = null, bool shuffle = true, ulong seed = 0, LRScheduler? scheduler = null,
        IEnumerable<ICallback>? callbacks = null, bool verbose = true, string validationName = "val", TextWriter? output = null,
        bool schedulePerBatch = false, int initialEpoch = 0, IReadOnlyList<IMetric>? metrics = null, DataShard? shard = null)
    {
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"Fit: epochs must be >= 0, got {epochs}.");
        if (initialEpoch < 0) throw new ArgumentOutOfRangeException(nameof(initialEpoch), $"Fit: initialEpoch must be >= 0, got {initialEpoch}.");
        // recycle: each step's batch, activations and gradients reuse the previous step's storage.
        var loader = new DataLoader(train, batchSize, shuffle, seed, recycle: true)
        {
            Epoch = initialEpoch,
            Shard = shard,
        };
        var all = (callbacks ?? []).ToList();
        if (verbose) all.Insert(0, new ProgressBar(output ?? Console.Out));
        var history = new History();
        foreach (var c in all) c.OnTrainBegin(model, epochs);
        for (int epoch = initialEpoch + 1; epoch <= epochs; epoch++)
        {
            foreach (var c in all) c.OnEpochBegin(epoch, epochs, loader.Count);
            var clock = Stopwatch.StartNew();
            model.Train();
            double lossSum = 0;
            long correct = 0, seen = 0;
            bool hasAccuracy = metrics is null;
            foreach (var m in metrics ?? []) m.Reset();
            int step = 0;
            var batchLogs = new Dictionary<string, double>();
            var device = DeviceOf(model);
            foreach (var (hostX, hostY) in loader)
            {
                step++;
                var (x, y) = (hostX.To(device), hostY.To(device));
                var prediction = model.Call(x);
                var l = loss(prediction, y);
                float value = l.Item();
                if (!float.IsFinite(value))
                    throw new TrainingDivergedException(
                        $"Fit: the loss became {value} at epoch {epoch}, step {step} (of {loader.Count}). Try a lower learning rate (now {optimizer.Lr}).");
                optimizer.ZeroGrad();
                l.Backward();
                foreach (var c in all) c.OnAfterBackward(step);
                optimizer.Step();
                if (schedulePerBatch) scheduler?.Step();
                int n = x.Shape[0];
                seen += n;
                lossSum += value * n;
                var seenPrediction = OnHost(prediction);
                if (hasAccuracy && Metrics.CorrectCount(seenPrediction, hostY) is { } ok) correct += ok;
                else hasAccuracy = false;
                foreach (var m in metrics ?? []) m.Update(seenPrediction, hostY);
                batchLogs["loss"] = lossSum / seen;
                if (hasAccuracy) batchLogs["accuracy"] = (double)correct / seen;
                foreach (var c in all) c.OnBatchEnd(step, (int)seen, batchLogs);
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
            foreach (var (x, y) in new DataLoader(data, batchSize, recycle: true))
            {
                var onDevice = model.Call(x.To(device));
                int n = x.Shape[0];
                lossSum += loss(onDevice, y.To(device)).Item() * n;
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
