using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>
/// Stops a run that has gone wrong before anything after it is written: a callback that ends <see cref="Trainer.Fit"/>
/// with a <see cref="TrainingDivergedException"/> naming the epoch and step when the epoch's running loss passes
/// <see cref="LossLimit"/>, and when a parameter or buffer holds NaN or infinity at an epoch's end. Put it before
/// callbacks that save (a <see cref="CheckpointCallback"/>), so a diverged epoch is never checkpointed; Fit itself
/// already stops on a NaN or infinite loss.
/// </summary>
/// <remarks>
/// The loss that Fit hands to callbacks is the epoch's running mean, so a single step's loss L shows as at least L/step:
/// a run that diverges to 1e21 is caught within a step or two. The weights are checked through the backend's
/// <see cref="Backends.Backend.FindOutside"/>, one pass per tensor and no host copy, once per epoch.
/// </remarks>
public sealed class DivergenceGuard(Module model, double lossLimit = double.PositiveInfinity) : ICallback
{
    private int _epoch, _batches;

    /// <summary>The running loss above which training counts as diverged (infinity: only NaN and infinity stop it).</summary>
    public double LossLimit { get; } = lossLimit > 0 ? lossLimit
        : throw new ArgumentOutOfRangeException(nameof(lossLimit), $"DivergenceGuard: lossLimit must be positive, got {lossLimit}.");

    /// <summary>Optimiser steps taken under this guard: 0 means the model was never trained.</summary>
    public long Steps { get; private set; }

    /// <summary>The step within the current epoch that ran last.</summary>
    public int Step { get; private set; }

    public void OnEpochBegin(int epoch, int epochs, int batches) => (_epoch, _batches, Step) = (epoch, batches, 0);

    public void OnBatchEnd(int batch, int samplesSeen, IReadOnlyDictionary<string, double> logs)
    {
        Steps++;
        Step = batch;
        if (logs.TryGetValue("loss", out double loss) && !(loss <= LossLimit))
            throw new TrainingDivergedException(
                $"training diverged at epoch {_epoch}, step {batch} (of {_batches}): the running loss reached {loss:G4}, above the limit " +
                $"{LossLimit:G4}; nothing was saved from this epoch. Try a lower learning rate.");
    }

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (ParameterCheck.FirstNonFinite(model) is { } name)
            throw new TrainingDivergedException(
                $"training diverged at epoch {epoch}, step {Step} (of {_batches}): \"{name}\" holds NaN or infinity; " +
                "nothing was saved from this epoch. Try a lower learning rate.");
    }
}

/// <summary>Finiteness checks of a model's state, computed by each tensor's backend (no host copy).</summary>
public static class ParameterCheck
{
    /// <summary>The state-dict name of the first parameter or buffer holding NaN or ±infinity, or null when all are finite.</summary>
    public static string? FirstNonFinite(Module model)
    {
        foreach (var (name, tensor) in model.StateDict())
            if (!IsFinite(tensor)) return name;
        return null;
    }

    /// <summary>True when every value of <paramref name="tensor"/> is a finite number.</summary>
    public static bool IsFinite(Tensor tensor) => tensor.Backend.FindOutside(tensor.Storage, float.MinValue, float.MaxValue) < 0;
}
