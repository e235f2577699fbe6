namespace Dendrite.Training;

/// <summary>Hooks into <see cref="Trainer.Fit"/>, as Keras callbacks. Logs hold "loss", "accuracy", "val_…", "time", "lr".</summary>
public interface ICallback
{
    void OnEpochBegin(int epoch, int epochs, int batches) { }
    void OnBatchEnd(int batch, int samplesSeen, IReadOnlyDictionary<string, double> logs) { }
    void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }
}
