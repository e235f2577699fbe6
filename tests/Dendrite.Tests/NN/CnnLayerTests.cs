using Dendrite.NN;

namespace Dendrite.Tests.NN;

public class CnnLayerTests
{
    [Fact]
    public void Conv2d_given_a_3d_tensor_names_the_layer_and_both_shapes()
    {
        var conv = new Conv2d(1, 32, 3);
        var e = Assert.Throws<ShapeMismatchException>(() => conv.Forward(Tensor.Zeros(1, 28, 28)));
        Assert.Equal("Conv2d(1, 32, kernel_size=3, stride=1): expected input [N, 1, H, W] (4-D with 1 channels), got [1, 28, 28]. " +
            "Hint: add a batch dimension (Unsqueeze(0)).", e.Message);
    }

    [Fact]
    public void Conv2d_given_the_wrong_channel_count_names_the_layer_and_both_shapes()
    {
        var conv = new Conv2d(3, 8, (3, 5), padding: 1);
        var e = Assert.Throws<ShapeMismatchException>(() => conv.Forward(Tensor.Zeros(2, 1, 28, 28)));
        Assert.Contains("Conv2d(3, 8, kernel_size=(3, 5), stride=1, padding=1): expected input [N, 3, H, W]", e.Message);
        Assert.Contains("got [2, 1, 28, 28]", e.Message);
        var f = Assert.Throws<ShapeMismatchException>(() => F.Conv2d(Tensor.Zeros(2, 1, 8, 8), conv.Weight));
        Assert.Equal("Conv2d: input has 1 channels but weight [8, 3, 3, 5] with groups=1 expects 3 (weight dim 1 × groups).", f.Message);
    }

    [Fact]
    public void Conv_layers_have_pytorch_shapes_names_and_init_bounds()
    {
        var conv = new Conv2d(32, 64, 3, generator: new Generator(1));
        Assert.Equal(["weight", "bias"], conv.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(64, 32, 3, 3), conv.Weight.Shape);
        float bound = 1f / MathF.Sqrt(32 * 9);
        Assert.All(conv.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.True(conv.Weight.ToArray().Max() > 0.9f * bound);

        var transposed = new ConvTranspose2d(16, 8, 4, stride: 2, padding: 1);
        Assert.Equal(new Shape(16, 8, 4, 4), transposed.Weight.Shape);
        Assert.Equal(new Shape(3, 8, 14, 14), transposed.Forward(Tensor.Zeros(3, 16, 7, 7)).Shape);
        Assert.Equal(new Shape(2, 4, 10), new Conv1d(3, 4, 5, padding: 2).Forward(Tensor.Zeros(2, 3, 10)).Shape);
        Assert.Equal(new Shape(64, 32, 3), new Conv1d(32, 64, 3).Weight.Shape);
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 8, 3, groups: 2));
    }

    [Fact]
    public void BatchNorm_normalises_with_batch_statistics_and_updates_running_ones_by_momentum()
    {
        var bn = new BatchNorm1d(1);
        var y = bn.Forward(Tensor.FromArray([1f, 2f, 3f, 4f], 4, 1));
        // mean 2.5, biased variance 1.25; running: 0.1·2.5 and 0.9·1 + 0.1·(5/3) (unbiased).
        float inv = 1f / MathF.Sqrt(1.25f + 1e-5f);
        // Computed as x·(γ·invStd) + (β − μ·γ·invStd), as PyTorch's CPU kernel does: equal to float rounding.
        float[] expected = [-1.5f * inv, -0.5f * inv, 0.5f * inv, 1.5f * inv];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], y.Data[i], 6);
        Assert.Equal(0.25f, bn.RunningMean!.Data[0], 6);
        Assert.Equal(0.9f + 0.1f * 5f / 3f, bn.RunningVar!.Data[0], 6);
        Assert.Equal(1f, bn.NumBatchesTracked!.Data[0]);

        bn.Eval();
        var e = bn.Forward(Tensor.FromArray([0.25f], 1, 1));
        Assert.Equal(0f, e.Data[0], 6);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Name));
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);
    }

    [Fact]
    public void BatchNorm2d_uses_one_mean_per_channel_over_batch_and_positions()
    {
        var bn = new BatchNorm2d(2);
        var x = Tensor.Arange(16).Reshape(2, 2, 2, 2); // channel 0: 0..3 and 8..11; channel 1: 4..7 and 12..15
        var y = bn.Forward(x);
        Assert.Equal(0.1f * 5.5f, bn.RunningMean!.Data[0], 5);
        Assert.Equal(0.1f * 9.5f, bn.RunningMean.Data[1], 5);
        Assert.Equal(0f, y.ToArray().Sum(), 4);
        var e = Assert.Throws<ShapeMismatchException>(() => bn.Forward(Tensor.Zeros(2, 3, 4, 4)));
        Assert.Contains("expected input [N, 2, H, W], got [2, 3, 4, 4]", e.Message);
        Assert.Throws<ShapeMismatchException>(() => bn.Forward(Tensor.Zeros(1, 2, 1, 1))); // one value per channel
    }

    [Fact]
    public void LayerNorm_normalises_each_sample_over_its_last_dimensions()
    {
        var ln = new LayerNorm(4);
        var y = ln.Forward(Tensor.FromArray([1f, 2f, 3f, 4f, 10f, 10f, 10f, 10f], 2, 4));
        float inv = 1f / MathF.Sqrt(1.25f + 1e-5f);
        float[] expected = [-1.5f * inv, -0.5f * inv, 0.5f * inv, 1.5f * inv, 0, 0, 0, 0];
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], y.Data[i], 5);
        Assert.Equal(new Shape(4), ln.Weight!.Shape);
    }

    [Fact]
    public void W2_net_has_the_protocol_parameter_count()
    {
        var net = new Sequential(
            new Conv2d(1, 32, 3), new ReLU(), new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2), new Dropout(0.25f),
            new Flatten(), new Linear(9216, 128), new ReLU(), new Dropout(0.5f), new Linear(128, 10));
        Assert.Equal(1_199_882, net.Parameters().Sum(p => p.Numel));
        Assert.Equal(new Shape(2, 10), net.Forward(Tensor.Zeros(2, 1, 28, 28)).Shape);
    }
}
