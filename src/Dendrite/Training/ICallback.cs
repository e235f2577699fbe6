using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>Hooks into <see cref="Trainer.Fit"/>, as Keras callbacks. Logs hold "loss", "accuracy", "val_…", "time", "lr".</summary>
public interface ICallback
{
    /// <summary>Called once before the first epoch with the model being trained.</summary>
    void OnTrainBegin(Module model, int epochs) { }

    /// <summary>
    /// Called once before the first epoch with the whole run: model, optimiser (whose learning rates a callback may
    /// change), loss and options. By default it calls <see cref="OnTrainBegin(Module, int)"/>, so a callback
    /// implements whichever it needs.
    /// </summary>
    void OnTrainBegin(TrainContext context) => OnTrainBegin(context.Model, context.Epochs);

    void OnEpochBegin(int epoch, int epochs, int batches) { }
    /// <summary>
    /// Called after each step's backward pass, before the optimiser's step: the gradients are complete and may be
    /// changed here (data-parallel training averages them over the ranks, as PyTorch Lightning's on_after_backward).
    /// </summary>
    void OnAfterBackward(int batch) { }

    void OnBatchEnd(int batch, int samplesSeen, IReadOnlyDictionary<string, double> logs) { }
    void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called once after the last epoch, also when training stopped early.</summary>
    void OnTrainEnd(History history) { }

    /// <summary>Read after each epoch's <see cref="OnEpochEnd"/>: true ends training there (Keras' <c>model.stop_training</c>).</summary>
    bool StopTraining => false;
}
