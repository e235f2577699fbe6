using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

/// <summary>ReduceLROnPlateau, ModelCheckpoint and the learning-rate finder.</summary>
[Collection(ProcessStateCollection.Name)]   // the finder restores Generator.Default, checked
public class OptimizerCallbackTests
{
    private static (Linear Model, Sgd Optimizer, TrainContext Context) Run(double lr = 1.0)
    {
        var model = new Linear(2, 2);
        var sgd = new Sgd(model.Parameters(), lr: lr);
        return (model, sgd, new TrainContext(model, sgd, Losses.MSE, 10, [], null, null, null));
    }

    private static void Feed(ICallback callback, params double[] values)
    {
        for (int e = 0; e < values.Length; e++)
            callback.OnEpochEnd(e + 1, new Dictionary<string, double> { ["val_loss"] = values[e] });
    }

    [Fact]
    public void ReduceLROnPlateau_lowers_after_more_than_patience_bad_epochs_as_PyTorch()
    {
        var (_, sgd, context) = Run(lr: 1.0);
        var log = new StringWriter();
        var plateau = new ReduceLROnPlateau(factor: 0.5, patience: 2, log: log);
        plateau.OnTrainBegin(context);
        // best 0.9 at epoch 2; epochs 3, 4, 5 bad (0.89995 is within the 1e-4 relative threshold): 3 > 2 at epoch 5
        Feed(plateau, 1.0, 0.9, 0.9, 0.89995, 0.95);
        Assert.Equal([(5, 0.5f)], plateau.Reductions);
        Assert.Equal(0.5f, sgd.Lr);
        Assert.Equal(0, plateau.BadEpochs);
        Assert.Contains("Epoch 5", log.ToString());
        Assert.Contains("0.5", log.ToString());
        Feed(plateau, 0.95, 0.95);   // epochs 1-2 of the next run of bad ones: no change yet
        Assert.Equal(0.5f, sgd.Lr);
    }

    [Fact]
    public void Cooldown_min_lr_max_mode_and_abs_threshold_follow_PyTorch()
    {
        var (_, sgd, context) = Run(lr: 0.1);
        var plateau = new ReduceLROnPlateau(factor: 0.1, patience: 0, cooldown: 2, minLr: 0.005);
        plateau.OnTrainBegin(context);
        Feed(plateau, 1, 1);          // epoch 2 bad → 0.01, cooldown 2
        Assert.Equal(0.01f, sgd.Lr, 6);
        Feed(plateau, 1, 1);          // epochs 3, 4 in cooldown: bad epochs reset
        Assert.Equal(0.01f, sgd.Lr, 6);
        Feed(plateau, 1);             // epoch 5: bad, patience 0 → max(0.001, minLr 0.005)
        Assert.Equal(0.005f, sgd.Lr, 6);
        Feed(plateau, 1, 1, 1, 1);    // at minLr: a reduction of 0 is skipped
        Assert.Equal(0.005f, sgd.Lr, 6);
        Assert.Equal(2, plateau.Reductions.Count);

        var (_, sgd2, context2) = Run(lr: 1.0);
        var max = new ReduceLROnPlateau(monitor: "val_accuracy", mode: "max", thresholdMode: "abs", threshold: 0.01, patience: 0);
        max.OnTrainBegin(context2);
        max.OnEpochEnd(1, new Dictionary<string, double> { ["val_accuracy"] = 0.80 });
        max.OnEpochEnd(2, new Dictionary<string, double> { ["val_accuracy"] = 0.805 });   // +0.005 < 0.01: bad
        Assert.Equal(0.1f, sgd2.Lr, 6);
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(mode: "auto"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1.0));
    }

    [Fact]
    public void ReduceLROnPlateau_changes_the_rate_during_Fit()
    {
        var model = new Sequential(new Linear(2, 4), new Linear(4, 1));
        var sgd = new Sgd(model.Parameters(), lr: 0.2);
        var data = new TensorDataset(Tensor.FromArray([0f, 1f, 1f, 0f, 1f, 1f, 0f, 0f], 4, 2), Tensor.FromArray([1f, 1f, 0f, 0f], 4, 1));
        var plateau = new ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 0, threshold: 10);   // never "better" after epoch 1
        var history = model.Fit(data, sgd, Losses.MSE, epochs: 3, batchSize: 4, verbose: false, callbacks: [plateau]);
        // best·(1 − 10) is −∞ at first, then negative: no epoch is better, so each one (patience 0) halves the rate
        Assert.Equal(0.025f, sgd.ParamGroups[0].Lr, 6);
        Assert.Equal([0.2, 0.1, 0.05], history["lr"].Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void ModelCheckpoint_saves_the_best_epochs_with_their_names_and_the_file_loads()
    {
        string dir = Path.Combine(Path.GetTempPath(), "dendrite-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            var model = new Sequential(new Linear(2, 2));
            var checkpoint = new ModelCheckpoint(Path.Combine(dir, "m-{epoch:02d}-{val_loss:.2f}.safetensors"), saveBestOnly: true);
            checkpoint.OnTrainBegin(model, 4);
            Feed(checkpoint, 0.5, 0.4, 0.45, 0.3);
            Assert.Equal(["m-01-0.50.safetensors", "m-02-0.40.safetensors", "m-04-0.30.safetensors"],
                checkpoint.Saved.Select(Path.GetFileName));
            Assert.Equal((0.3, 4), (checkpoint.Best, checkpoint.BestEpoch));
            var loaded = ModelFile.Load(checkpoint.Saved[^1]);
            Assert.Equal(model.Parameters()[0].ToArray(), loaded.Parameters()[0].ToArray());

            var max = new ModelCheckpoint(Path.Combine(dir, "acc{epoch}.st"), monitor: "val_accuracy", saveBestOnly: true, weightsOnly: true);
            max.OnTrainBegin(model, 3);
            for (int e = 1; e <= 3; e++)
                max.OnEpochEnd(e, new Dictionary<string, double> { ["val_accuracy"] = new[] { 0.7, 0.9, 0.8 }[e - 1] });
            Assert.Equal(["acc1.st", "acc2.st"], max.Saved.Select(Path.GetFileName));
            Assert.Equal(model.Parameters()[1].ToArray(), SafeTensors.Load(max.Saved[1])["0.bias"].ToArray());

            var every = new ModelCheckpoint(Path.Combine(dir, "e{epoch:D3}.st"), weightsOnly: true);
            every.OnTrainBegin(model, 2);
            every.OnEpochEnd(1, new Dictionary<string, double> { ["loss"] = 1 });
            Assert.Equal("e001.st", Path.GetFileName(every.Saved[0]));
            var e2 = Assert.Throws<ArgumentException>(() => ModelCheckpoint.Format("{val_auc}.st", 1, new Dictionary<string, double>()));
            Assert.Contains("val_auc", e2.Message);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static TensorDataset Line()
    {
        var x = new float[64];
        var y = new float[64];
        for (int i = 0; i < 64; i++) (x[i], y[i]) = (i / 32f - 1, 3 * (i / 32f - 1) + 0.5f);
        return new TensorDataset(Tensor.FromArray(x, 64, 1), Tensor.FromArray(y, 64, 1));
    }

    [Fact]
    public void The_learning_rate_finder_sweeps_exponentially_stops_on_divergence_and_restores_everything()
    {
        var model = new Sequential(new Linear(1, 8, generator: new Generator(1)), new ReLU(), new Linear(8, 1, generator: new Generator(2)));
        var adam = new Sgd(model.Parameters(), lr: 0.01, momentum: 0.9);
        model.Fit(Line(), adam, Losses.MSE, batchSize: 16, verbose: false);   // some optimiser state to keep
        var weights = model.Parameters().Select(p => p.ToArray()).ToArray();
        var state = adam.State().ToDictionary(kv => kv.Key, kv => (kv.Value.Step, kv.Value.Buffers.Select(b => b.ToArray()).ToArray()));
        var generator = Generator.Default.GetState();

        var result = model.FindLearningRate(Line(), adam, Losses.MSE, startLr: 1e-5, endLr: 100, steps: 100, batchSize: 16, seed: 3);

        Assert.True(result.LearningRates.Count is > 5 and < 100, $"stopped after {result.LearningRates.Count} steps");
        for (int i = 0; i < result.LearningRates.Count; i++)
            Assert.Equal(1e-5 * Math.Pow(1e7, i / 100.0), result.LearningRates[i], 1e-12 + 1e-9 * result.LearningRates[i]);
        Assert.True(result.Losses[^1] > 4 * result.Losses.Min());   // the stopping rule
        Assert.Equal(weights, model.Parameters().Select(p => p.ToArray()).ToArray());
        Assert.Equal(0.01f, adam.Lr);
        foreach (var (p, (step, buffers)) in adam.State())
        {
            Assert.Equal(state[p].Step, step);
            Assert.Equal(state[p].Item2, buffers);
        }
        Assert.Equal(generator, Generator.Default.GetState());
        Assert.InRange(result.Steepest, 1e-5, 100);
    }

    [Fact]
    public void The_suggestions_are_fastais_steepest_slope_and_a_tenth_of_the_minimum()
    {
        // 20 points, lrs 10^(i/4 − 3); fastai skips the first 20/10 = 2 and the last 5
        var lrs = Enumerable.Range(0, 20).Select(i => Math.Pow(10, i / 4.0 - 3)).ToArray();
        double[] losses = [2, 2, 2, 1.99, 1.98, 1.9, 1.5, 1.4, 1.35, 1.3, 1.1, 1.05, 1.0, 1.2, 1.6, 3, 0.1, 0.1, 0.1, 0.1];
        var result = new LrFinderResult(lrs, losses);
        Assert.Equal(lrs[5], result.Steepest, 12);        // 1.9 → 1.5 is the largest fall in the window 2..14
        Assert.Equal(lrs[12] / 10, result.MinimumOver10, 12);   // 1.0 at 12; the 0.1s lie in the skipped tail
    }
}
