using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Training;

/// <summary>
/// Saves a <see cref="Checkpoint"/> into <see cref="Directory"/> after every epoch ("epoch-0003.ckpt.safetensors"), as
/// Keras' ModelCheckpoint. Pass the <see cref="TrainingProgress"/> a resumed run loaded, so steps and history carry on.
/// </summary>
public sealed class CheckpointCallback : ICallback
{
    private readonly Module _model;
    private readonly Optimizer _optimizer;
    private readonly LRScheduler? _scheduler;
    private readonly List<IReadOnlyDictionary<string, double>> _history;
    private readonly IReadOnlyDictionary<string, Generator>? _generators;
    private readonly RunIdentity? _run;
    private long _step;

    /// <param name="generators">Random generators besides the default one whose state the run depends on (an augmentation's).</param>
    /// <param name="run">The run recorded in every checkpoint, so a resume can refuse another run's files.</param>
    public CheckpointCallback(string directory, Module model, Optimizer optimizer, LRScheduler? scheduler = null, TrainingProgress? resumedFrom = null,
        IReadOnlyDictionary<string, Generator>? generators = null, RunIdentity? run = null)
    {
        (_generators, _run) = (generators, run);
        Directory = directory;
        (_model, _optimizer, _scheduler) = (model, optimizer, scheduler);
        _step = resumedFrom?.Step ?? 0;
        _history = [.. resumedFrom?.History ?? []];
    }

    /// <summary>Where the checkpoints go.</summary>
    public string Directory { get; }

    /// <summary>The file written last, or null before the first epoch ends.</summary>
    public string? LastSaved { get; private set; }

    public void OnBatchEnd(int batch, int samplesSeen, IReadOnlyDictionary<string, double> logs) => _step++;

    public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _history.Add(new Dictionary<string, double>(logs));
        string path = Path.Combine(Directory, Checkpoint.FileName(epoch));
        Checkpoint.Save(path, _model, _optimizer, _scheduler, new TrainingProgress(epoch, _step, [.. _history]), _generators, _run);
        LastSaved = path;
    }
}
