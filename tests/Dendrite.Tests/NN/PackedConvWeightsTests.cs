using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.NN;

/// <summary>
/// A Conv2d in evaluation mode keeps its weight packed for the backend's forward kernel (one image after another
/// pays no weight transform), packs again when the weight changes, and gives the unpacked op's bits.
/// </summary>
public class PackedConvWeightsTests
{
    private static (Conv2d Conv, Tensor X) Layer()
    {
        var conv = new Conv2d(16, 24, 3, padding: 1, generator: new Generator(41));
        var x = Tensor.Randn(new Shape(1, 16, 12, 12), new Generator(42));
        return (conv, x);
    }

    [Fact]
    public void Evaluation_packs_once_and_gives_the_unpacked_bits()
    {
        var (conv, x) = Layer();
        conv.Eval();
        var first = conv.PackedForEvaluation(x);
        Assert.Same(first, conv.PackedForEvaluation(x));
        Assert.Equal(F.Conv2d(x, conv.Weight, conv.Bias, padding: 1).ToArray(), conv.Call(x).ToArray());
        if (Dendrite.Backends.Cpu.Winograd.FitsForward(F.Conv2dGeometry(x, conv.Weight, conv.Bias, 1, 1, 1, 1)))
            Assert.NotNull(first);   // the CPU packs for Winograd's geometries
    }

    [Fact]
    public void A_weight_written_through_the_tensor_api_is_packed_again()
    {
        var (conv, x) = Layer();
        conv.Eval();
        var before = conv.Call(x).ToArray();
        var first = conv.PackedForEvaluation(x);
        conv.Weight.Data[5] = -0f - conv.Weight.Data[5];
        var after = conv.Call(x).ToArray();

        Assert.NotEqual(before, after);
        Assert.Equal(F.Conv2d(x, conv.Weight, conv.Bias, padding: 1).ToArray(), after);
        if (first is not null) Assert.NotSame(first, conv.PackedForEvaluation(x));
    }

    [Fact]
    public void An_optimiser_step_is_seen_and_training_packs_nothing()
    {
        var (conv, x) = Layer();
        Assert.Null(conv.PackedForEvaluation(x));   // training mode: the weights change every step
        var loss = F.Sum(conv.Call(x));
        loss.Backward();
        conv.Eval();
        var before = conv.Call(x).ToArray();
        new Sgd(conv.Parameters(), lr: 0.1f).Step();
        var after = conv.Call(x).ToArray();

        Assert.NotEqual(before, after);
        Assert.Equal(F.Conv2d(x, conv.Weight, conv.Bias, padding: 1).ToArray(), after);
    }

    [Fact]
    public void A_weight_written_through_a_view_is_packed_again()
    {
        var (conv, x) = Layer();
        conv.Eval();
        var before = conv.Call(x).ToArray();
        using (Tensor.NoGrad()) conv.Weight.Reshape(-1).Data[7] += 1f;   // the view shares the weight's write count
        var after = conv.Call(x).ToArray();

        Assert.NotEqual(before, after);
        Assert.Equal(F.Conv2d(x, conv.Weight, conv.Bias, padding: 1).ToArray(), after);
    }
}
