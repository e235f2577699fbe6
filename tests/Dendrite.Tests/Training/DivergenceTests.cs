using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

/// <summary>A NaN or infinite loss stops Fit with the epoch and step, instead of training on garbage.</summary>
public class DivergenceTests
{
    private static Sequential Model() => new(new Flatten(), new Linear(784, 16, generator: new Generator(1)), new ReLU(),
        new Linear(16, 10, generator: new Generator(2)));

    [Fact]
    public void A_loss_that_turns_NaN_names_the_epoch_and_step()
    {
        // 100 images in batches of 10: call 13 is epoch 2, step 3.
        int calls = 0;
        LossFunction poisoned = (o, t) => ++calls == 13 ? F.CrossEntropy(o, t) * float.NaN : F.CrossEntropy(o, t);
        var model = Model();
        var e = Assert.Throws<TrainingDivergedException>(() =>
            model.Fit(MnistData.Train.Take(100), new Sgd(model.Parameters(), lr: 0.01f), poisoned,
                epochs: 3, batchSize: 10, verbose: false));
        Assert.Contains("NaN", e.Message);
        Assert.Contains("epoch 2, step 3 (of 10)", e.Message);
        Assert.Contains("lower learning rate (now 0.01)", e.Message);
        Assert.Equal(13, calls);
    }

    [Fact]
    public void An_absurd_learning_rate_diverges_and_stops_training()
    {
        var model = Model();
        var e = Assert.Throws<TrainingDivergedException>(() =>
            model.Fit(MnistData.Train.Take(200), new Sgd(model.Parameters(), lr: 1e10f), Mse10,
                epochs: 5, batchSize: 20, verbose: false));
        Assert.Matches(@"the loss became (NaN|∞|-∞|Infinity|-Infinity) at epoch \d+, step \d+ \(of 10\)", e.Message);
        Assert.Contains("1E+10", e.Message);
    }

    /// <summary>MSE against one-hot targets: unbounded in the logits, so a huge step overflows it.</summary>
    private static Tensor Mse10(Tensor output, Tensor target) => F.MSELoss(output, F.OneHot(target, 10));
}
