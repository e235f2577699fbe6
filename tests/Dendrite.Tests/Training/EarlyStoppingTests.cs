using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

public class EarlyStoppingTests
{
    /// <summary>Remembers the single weight of a Linear(1, 1) after every epoch.</summary>
    private sealed class WeightLog(Linear layer) : ICallback
    {
        public List<float> Weights { get; } = [];
        public void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => Weights.Add(layer.Weight.Data[0]);
    }

    [Fact]
    public void Fit_stops_after_patience_epochs_without_improvement_and_restores_the_best()
    {
        // Train towards y = 1 while validation wants y = −1 at the same x: every step makes val_loss worse, so the
        // best epoch is the first and, with patience 2, training stops after epoch 3.
        var layer = new Linear(1, 1, bias: false);
        layer.Weight.Data[0] = 0f;
        var train = new TensorDataset(Tensor.FromArray([1f], 1, 1), Tensor.FromArray([1f], 1, 1));
        var validation = new TensorDataset(Tensor.FromArray([1f], 1, 1), Tensor.FromArray([-1f], 1, 1));
        var stopper = new EarlyStopping("val_loss", patience: 2, restoreBestWeights: true);
        var log = new WeightLog(layer);

        var history = layer.Fit(train, new Sgd(layer.Parameters(), lr: 0.1f), Losses.MSE, epochs: 20, batchSize: 1,
            validation: validation, callbacks: [log, stopper], verbose: false);

        // SGD on (w − 1)²: w ← w − 0.1·2(w − 1), so w = 0.2, 0.36, 0.488 after epochs 1–3.
        Assert.Equal([0.2f, 0.36f, 0.488f], log.Weights.Select(w => MathF.Round(w, 5)));
        Assert.Equal(3, history.Epochs);
        Assert.Equal(1, stopper.BestEpoch);
        Assert.Equal(3, stopper.StoppedEpoch);
        Assert.Equal(1.44, stopper.Best, 5);                 // (0.2 + 1)²
        Assert.True(stopper.RestoredBestWeights);
        Assert.Equal(0.2f, layer.Weight.Data[0], 6);
    }

    [Fact]
    public void Accuracy_is_maximised_and_min_delta_ignores_small_gains()
    {
        var stopper = new EarlyStopping("val_accuracy", patience: 1, minDelta: 0.01);
        stopper.OnTrainBegin(new Linear(1, 1), 10);

        stopper.OnEpochEnd(1, new Dictionary<string, double> { ["val_accuracy"] = 0.90 });
        stopper.OnEpochEnd(2, new Dictionary<string, double> { ["val_accuracy"] = 0.905 });   // +0.005 < minDelta

        Assert.Equal(1, stopper.BestEpoch);
        Assert.True(stopper.StopTraining);
        Assert.Equal(2, stopper.StoppedEpoch);
    }

    [Fact]
    public void Without_restore_the_last_weights_stay_and_a_missing_key_is_named()
    {
        var model = new Linear(1, 1);
        var stopper = new EarlyStopping("val_loss");
        stopper.OnTrainBegin(model, 1);

        var e = Assert.Throws<InvalidOperationException>(
            () => stopper.OnEpochEnd(1, new Dictionary<string, double> { ["loss"] = 1 }));
        Assert.Contains("\"val_loss\"", e.Message);
        Assert.Contains("loss", e.Message);
        stopper.OnTrainEnd(new History());
        Assert.False(stopper.RestoredBestWeights);
    }
}
