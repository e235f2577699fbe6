using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;

namespace Dendrite.Tests.Training;

/// <summary>A loss written from ops trains like a built-in one: autograd carries any composition.</summary>
public class CustomLossTests
{
    /// <summary>Cross-entropy by hand: −mean over samples of Σ_k onehot_k · log softmax_k.</summary>
    private static Tensor HandCrossEntropy(Tensor output, Tensor target) =>
        -F.Mean(F.Sum(F.LogSoftmax(output, 1) * F.OneHot(target, output.Shape[1]), 1));

    /// <summary>The Brier score: mean over samples of Σ_k (softmax_k − onehot_k)².</summary>
    private static Tensor Brier(Tensor output, Tensor target) =>
        F.Mean(F.Sum(F.Pow(F.Softmax(output, 1) - F.OneHot(target, output.Shape[1]), 2f), 1));

    private static Sequential SmallMlp(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Flatten(), new Linear(784, 64, generator: g), new ReLU(), new Linear(64, 10, generator: g));
    }

    [Fact]
    public void Hand_written_cross_entropy_has_the_built_in_value_and_gradient()
    {
        var (x, y) = MnistData.Train.GetBatch([.. Enumerable.Range(0, 32)]);
        var builtIn = SmallMlp(5);
        var hand = SmallMlp(5);

        var lossBuiltIn = F.CrossEntropy(builtIn.Forward(x), y);
        var lossHand = HandCrossEntropy(hand.Forward(x), y);
        Assert.Equal(lossBuiltIn.Item(), lossHand.Item(), 1e-5f);

        lossBuiltIn.Backward();
        lossHand.Backward();
        foreach (var ((name, p), (_, q)) in builtIn.NamedParameters().Zip(hand.NamedParameters()))
        {
            var a = p.Grad!.ToArray();
            var b = q.Grad!.ToArray();
            double maxDiff = a.Zip(b).Max(t => Math.Abs(t.First - t.Second));
            Assert.True(maxDiff < 1e-6, $"{name}: gradients differ by {maxDiff}");
        }
    }

    [Fact]
    public void Hand_written_cross_entropy_follows_the_built_in_loss_trajectory()
    {
        var train = MnistData.Train.Take(2000);
        var test = MnistData.Test.Take(500);
        History Run(LossFunction loss)
        {
            var model = SmallMlp(7);
            return model.Fit(train, new Sgd(model.Parameters(), lr: 0.05f, momentum: 0.9f), loss,
                epochs: 2, batchSize: 50, validation: test, seed: 3, verbose: false);
        }
        var builtIn = Run(Losses.CrossEntropy);
        var hand = Run(HandCrossEntropy);

        foreach (var key in new[] { "loss", "val_loss" })
            for (int e = 0; e < 2; e++)
                Assert.True(Math.Abs(builtIn[key][e] - hand[key][e]) < 1e-4,
                    $"{key} epoch {e + 1}: built-in {builtIn[key][e]}, hand-written {hand[key][e]}");
        Assert.True(hand["val_accuracy"][^1] >= 0.8, $"test accuracy {hand["val_accuracy"][^1]:P2}");
    }

    [Fact]
    public void A_Brier_score_loss_trains_a_classifier()
    {
        var model = SmallMlp(11);
        var history = model.Fit(MnistData.Train.Take(2000), new Adam(model.Parameters(), lr: 2e-3f), Brier,
            epochs: 3, batchSize: 50, validation: MnistData.Test.Take(500), seed: 5, verbose: false);
        var loss = history["loss"];
        Assert.True(loss[0] > loss[1] && loss[1] > loss[2], $"loss {string.Join(", ", loss)} should decrease");
        Assert.True(history["val_accuracy"][^1] >= 0.8, $"test accuracy {history["val_accuracy"][^1]:P2}");
    }
}
