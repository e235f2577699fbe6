using System.Globalization;
using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>
/// Stops <see cref="Trainer.Fit"/> when a monitored quantity has stopped improving, as Keras' <c>EarlyStopping</c>;
/// with <paramref name="restoreBestWeights"/>, puts back the weights of the best epoch when training ends.
/// </summary>
/// <remarks>
/// After each epoch the value of <paramref name="monitor"/> is compared with the best so far; it improves when it beats
/// the best by more than <paramref name="minDelta"/> (lower for "min", higher for "max"). After
/// <paramref name="patience"/> epochs in a row without improvement, training stops. As in Keras 3, the best weights are
/// restored at the end of training whether or not it stopped early, so the model is the best one seen.
/// </remarks>
/// <param name="monitor">A key of the epoch logs, such as "val_loss" or "val_accuracy".</param>
/// <param name="patience">Epochs without improvement to allow before stopping (0 stops at the first).</param>
/// <param name="minDelta">The smallest change that counts as an improvement.</param>
/// <param name="mode">"min", "max", or "auto" (max when the name contains "acc", else min).</param>
/// <param name="restoreBestWeights">Copy the best epoch's parameters and buffers back into the model at the end.</param>
public sealed class EarlyStopping(string monitor = "val_loss", int patience = 0, double minDelta = 0, string mode = "auto",
    bool restoreBestWeights = false) : ICallback
{
    private readonly bool _maximize = mode switch
    {
        "min" => false,
        "max" => true,
        "auto" => monitor.Contains("acc", StringComparison.Ordinal),
        _ => throw new ArgumentException($"EarlyStopping: mode must be \"min\", \"max\" or \"auto\", got \"{mode}\"."),
    };

    private readonly int _patience = patience >= 0 ? patience
        : throw new ArgumentOutOfRangeException(nameof(patience), $"EarlyStopping: patience must be >= 0, got {patience}.");

    private Module? _model;
    private float[][]? _bestState;
    private int _wait;

    /// <summary>The monitored log key.</summary>
    public string Monitor { get; } = monitor;

    /// <summary>The best value seen (NaN before the first epoch).</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>The 1-based epoch that reached <see cref="Best"/> (0 before the first epoch).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch after which training stopped early, or 0 if it ran to the end.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>True once training should stop.</summary>
    public bool StopTraining { get; private set; }

    /// <summary>Whether the best weights were copied back at the end of training.</summary>
    public bool RestoredBestWeights { get; private set; }

    public void OnTrainBegin(Module model, int epochs)
    {
        _model = model;
        _bestState = null;
        _wait = 0;
        Best = double.NaN;
        BestEpoch = 0;
        StoppedEpoch = 0;
        StopTraining = false;
        RestoredBestWeights = false;
    }

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(Monitor, out double current))
            throw new InvalidOperationException(
                $"EarlyStopping: the logs have no \"{Monitor}\"; available: {string.Join(", ", logs.Keys)}. Hint: pass validation data to Fit to get val_* keys.");
        _wait++;
        if (IsImprovement(current))
        {
            Best = current;
            BestEpoch = epoch;
            _wait = 0;
            if (restoreBestWeights) _bestState = Snapshot();
            return;
        }
        if (_wait >= _patience)
        {
            StoppedEpoch = epoch;
            StopTraining = true;
        }
    }

    public void OnTrainEnd(History history)
    {
        if (!restoreBestWeights || _bestState is null || _model is null) return;
        int i = 0;
        foreach (var tensor in _model.StateDict().Values) tensor.CopyFrom(_bestState[i++]);
        RestoredBestWeights = true;
    }

    private bool IsImprovement(double current)
    {
        if (double.IsNaN(current)) return false;
        if (double.IsNaN(Best)) return true;
        return _maximize ? current - minDelta > Best : current + minDelta < Best;
    }

    private float[][] Snapshot() => _model!.StateDict().Values.Select(t => t.ToArray()).ToArray();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"EarlyStopping(monitor={Monitor}, patience={_patience}, best={Best} at epoch {BestEpoch}, stopped at {StoppedEpoch})");
}
