using System.Globalization;
using Dendrite.Optim;

namespace Dendrite.Training;

/// <summary>
/// Lowers every parameter group's learning rate when a monitored quantity stops improving, as PyTorch's
/// <c>ReduceLROnPlateau</c> (and Keras' callback of the same name): after more than <paramref name="patience"/> epochs
/// without improvement, lr ← max(lr · factor, minLr), then <paramref name="cooldown"/> epochs pass before bad epochs
/// count again. Each reduction is written to <paramref name="log"/> and kept in <see cref="Reductions"/>.
/// </summary>
/// <remarks>
/// An epoch improves on the best when, for mode "min", value &lt; best·(1 − threshold) ("rel") or value &lt; best −
/// threshold ("abs"); for "max", value &gt; best·(1 + threshold) or value &gt; best + threshold. A reduction smaller than
/// <paramref name="eps"/> is skipped, as in PyTorch.
/// </remarks>
/// <param name="monitor">A key of the epoch logs, such as "val_loss".</param>
/// <param name="mode">"min" (the default, for losses) or "max" (for accuracies, AUC).</param>
/// <param name="factor">The multiplier, in [0, 1).</param>
/// <param name="log">Where to write each reduction; null writes nothing.</param>
public sealed class ReduceLROnPlateau(string monitor = "val_loss", string mode = "min", double factor = 0.1, int patience = 10,
    double threshold = 1e-4, string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8,
    TextWriter? log = null) : ICallback
{
    private readonly bool _maximize = mode switch
    {
        "min" => false,
        "max" => true,
        _ => throw new ArgumentException($"ReduceLROnPlateau: mode must be \"min\" or \"max\", got \"{mode}\".", nameof(mode)),
    };

    private readonly bool _relative = thresholdMode switch
    {
        "rel" => true,
        "abs" => false,
        _ => throw new ArgumentException($"ReduceLROnPlateau: thresholdMode must be \"rel\" or \"abs\", got \"{thresholdMode}\".", nameof(thresholdMode)),
    };

    private readonly double _factor = factor >= 0 && factor < 1 ? factor
        : throw new ArgumentOutOfRangeException(nameof(factor), $"ReduceLROnPlateau: factor must be in [0, 1), got {factor}.");

    private readonly int _patience = patience >= 0 ? patience
        : throw new ArgumentOutOfRangeException(nameof(patience), $"ReduceLROnPlateau: patience must be >= 0, got {patience}.");

    private readonly int _cooldown = cooldown >= 0 ? cooldown
        : throw new ArgumentOutOfRangeException(nameof(cooldown), $"ReduceLROnPlateau: cooldown must be >= 0, got {cooldown}.");

    private readonly double _minLr = minLr >= 0 && double.IsFinite(minLr) ? minLr
        : throw new ArgumentOutOfRangeException(nameof(minLr), $"ReduceLROnPlateau: minLr must be a finite number >= 0, got {minLr}.");

    private readonly double _threshold = threshold >= 0 && double.IsFinite(threshold) ? threshold
        : throw new ArgumentOutOfRangeException(nameof(threshold), $"ReduceLROnPlateau: threshold must be a finite number >= 0, got {threshold}.");

    private readonly List<(int Epoch, float Lr)> _reductions = [];
    private Optimizer? _optimizer;
    private int _cooldownCounter;

    /// <summary>The monitored log key.</summary>
    public string Monitor { get; } = monitor;

    /// <summary>The best value seen (±∞ before the first epoch, as PyTorch starts).</summary>
    public double Best { get; private set; }

    /// <summary>Epochs in a row without improvement (PyTorch's <c>num_bad_epochs</c>).</summary>
    public int BadEpochs { get; private set; }

    /// <summary>Each reduction: the epoch after which it happened and the first group's new learning rate.</summary>
    public IReadOnlyList<(int Epoch, float Lr)> Reductions => _reductions;

    public void OnTrainBegin(TrainContext context)
    {
        _optimizer = context.Optimizer;
        Best = _maximize ? double.NegativeInfinity : double.PositiveInfinity;
        BadEpochs = 0;
        _cooldownCounter = 0;
        _reductions.Clear();
    }

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(Monitor, out double current))
            throw new InvalidOperationException(
                $"ReduceLROnPlateau: the logs have no \"{Monitor}\"; available: {string.Join(", ", logs.Keys)}. Hint: pass validation data to Fit to get val_* keys.");
        if (IsBetter(current))
        {
            Best = current;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            BadEpochs = 0;
        }
        if (BadEpochs > _patience)
        {
            Reduce(epoch);
            _cooldownCounter = _cooldown;
            BadEpochs = 0;
        }
    }

    private bool IsBetter(double current) => (_maximize, _relative) switch
    {
        (false, true) => current < Best * (1 - _threshold),
        (false, false) => current < Best - _threshold,
        (true, true) => current > Best * (1 + _threshold),
        (true, false) => current > Best + _threshold,
    };

    private void Reduce(int epoch)
    {
        var optimizer = _optimizer ?? throw new InvalidOperationException("ReduceLROnPlateau: used outside Fit (no optimiser was given at OnTrainBegin).");
        for (int i = 0; i < optimizer.ParamGroups.Count; i++)
        {
            var group = optimizer.ParamGroups[i];
            double old = group.Lr;
            double lowered = Math.Max(old * _factor, _minLr);
            if (old - lowered <= eps) continue;
            group.Lr = (float)lowered;
            if (i == 0) _reductions.Add((epoch, group.Lr));
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {epoch}: ReduceLROnPlateau lowers the learning rate of group {i} to {group.Lr:G6} ({Monitor} did not improve on {Best:G6} for {_patience + 1} epochs)."));
        }
    }
}
