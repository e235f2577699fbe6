using Dendrite.Training;

namespace Dendrite.Tests.Training;

/// <summary>The loss factories with PyTorch's options: the same values as the functional forms, weights on any device.</summary>
public class LossOptionsTests
{
    private static readonly Tensor Logits = Tensor.FromArray([1f, 2f, 0f, 0f, 0f, 0f, 3f, -1f, 0.5f], 3, 3);
    private static readonly Tensor Labels = Tensor.FromArray([1f, 2f, 0f], 3);
    private static readonly Tensor Weights = Tensor.FromArray([0.5f, 2f, 1.25f], 3);

    [Fact]
    public void Class_weighted_losses_equal_the_functional_forms()
    {
        Assert.Equal(F.CrossEntropy(Logits, Labels, weight: Weights).Item(), Losses.CrossEntropyLoss(Weights)(Logits, Labels).Item());
        Assert.Equal(F.CrossEntropy(Logits, Labels, labelSmoothing: 0.1f, ignoreIndex: 0, weight: Weights).Item(),
            Losses.CrossEntropyLoss(Weights, ignoreIndex: 0, labelSmoothing: 0.1f)(Logits, Labels).Item());
        var logp = F.LogSoftmax(Logits, 1);
        Assert.Equal(F.NLLLoss(logp, Labels, weight: Weights).Item(), Losses.NLLLoss(Weights)(logp, Labels).Item());
        // Unweighted, the factory is the plain loss.
        Assert.Equal(Losses.CrossEntropy(Logits, Labels).Item(), Losses.CrossEntropyLoss()(Logits, Labels).Item());
    }

    [Fact]
    public void Weights_follow_the_output_to_its_device()
    {
        var onReference = Logits.To(Device.Reference);
        float expected = F.CrossEntropy(Logits, Labels, weight: Weights).Item();
        Assert.Equal(expected, Losses.CrossEntropyLoss(Weights)(onReference, Labels.To(Device.Reference)).Item(), 1e-6f);
        var targets = Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 1f, 0f, 0f, 1f], 3, 3);
        var posWeight = Tensor.FromArray([3f, 1f, 0.5f], 3);
        Assert.Equal(F.BCEWithLogitsLoss(Logits, targets, posWeight: posWeight).Item(),
            Losses.BCEWithLogitsLoss(posWeight: posWeight)(onReference, targets.To(Device.Reference)).Item(), 1e-6f);
    }

    [Fact]
    public void Kl_divergence_defaults_to_the_batch_mean()
    {
        var logq = F.LogSoftmax(Logits, 1);
        var p = F.Softmax(F.Mul(Logits, 0.5f), 1);
        Assert.Equal(F.KLDivLoss(logq, p, Reduction.Sum).Item() / 3, Losses.KLDivLoss()(logq, p).Item(), 1e-6f);
    }
}
