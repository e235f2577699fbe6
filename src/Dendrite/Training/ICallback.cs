using Dendrite.NN;

namespace Dendrite.Training;

/// <summary>Hooks into <see cref="Trainer.Fit"/>, as Keras callbacks. Logs hold "loss", "accuracy", "val_…", "time", "lr".</summary>
public interface ICallback
{
    /// <summary>Called once before the first epoch with the model being trained.</summary>
    void OnTrainBegin(Module model, int epochs) { }

    void OnEpochBegin(int epoch, int epochs, int batches) { }
    void OnBatchEnd(int batch, int samplesSeen, IReadOnlyDictionary<string, double> logs) { }
    void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called once after the last epoch, also when training stopped early.</summary>
    void OnTrainEnd(History history) { }

    /// <summary>Read after each epoch's <see cref="OnEpochEnd"/>: true ends training there (Keras' <c>model.stop_training</c>).</summary>
    bool StopTraining => false;
}
