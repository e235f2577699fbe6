using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.NN;

/// <summary>
/// BasicBlock (ResNet's, torchvision's): values worked out from y = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)),
/// the shortcut's choice, torchvision's state-dict names, the input check, and a central-difference check of the
/// input's and every parameter's gradient on both devices.
/// </summary>
public class BasicBlockTests
{
    /// <summary>Evaluation-mode BatchNorm2d with its initial statistics (mean 0, var 1, γ 1, β 0) scales by s = 1/√(1 + 1e-5).</summary>
    private static readonly double S = 1 / Math.Sqrt(1 + 1e-5);

    [Fact]
    public void Identity_shortcut_block_in_eval_mode_matches_the_formula()
    {
        // One channel; conv1 is the centre tap 1 and conv2 the centre tap 2, so each is a pointwise scale:
        // y = ReLU(2·s·ReLU(s·x) + x).
        var block = new BasicBlock(1, 1);
        block.Conv1.Weight.Data.Clear();
        block.Conv1.Weight.Data[4] = 1f;
        block.Conv2.Weight.Data.Clear();
        block.Conv2.Weight.Data[4] = 2f;
        var x = Tensor.FromArray([-1f, 2f, -3f, 0.5f], 1, 1, 2, 2);

        var y = block.Eval().Forward(x);

        Assert.Null(block.Downsample);
        Assert.Equal(new Shape(1, 1, 2, 2), y.Shape);
        // x = −1: ReLU(0 − 1) = 0;  x = 2: 2s·2s + 2 = 4s² + 2;  x = −3: 0;  x = 0.5: 2s·0.5s + 0.5 = s² + 0.5
        double[] expected = [0, 4 * S * S + 2, 0, S * S + 0.5];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], y.Data[i], 1e-5 * Math.Max(1, expected[i]));
    }

    [Fact]
    public void Stride_2_block_projects_the_shortcut_and_matches_the_formula()
    {
        // x = 1…9 in a 3×3 image. conv1 is all ones, 3×3 stride 2 padding 1: the sums of the windows at (0,0), (0,2),
        // (2,0), (2,2): 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28. conv2 is the centre tap −0.25. The
        // projection (1×1 stride 2, weight 1) picks 1, 3, 7, 9. So y = ReLU(−0.25·s²·v + s·d).
        var block = new BasicBlock(1, 1, stride: 2);
        block.Conv1.Weight.Data.Fill(1f);
        block.Conv2.Weight.Data.Clear();
        block.Conv2.Weight.Data[4] = -0.25f;
        var projection = Assert.IsType<Conv2d>(block.Downsample![0]);
        projection.Weight.Data[0] = 1f;
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f], 1, 1, 3, 3);

        var y = block.Eval().Forward(x);

        Assert.Equal(new Shape(1, 1, 2, 2), y.Shape);
        double[] v = [12, 16, 24, 28], d = [1, 3, 7, 9];
        for (int i = 0; i < 4; i++) Assert.Equal(Math.Max(0, -0.25 * S * S * v[i] + S * d[i]), y.Data[i], 1e-5 * Math.Max(1, Math.Abs(y.Data[i])));
        Assert.Equal(0f, y.Data[0]); // −3s² + s < 0: the ReLU after the addition cuts it
    }

    [Fact]
    public void Training_mode_equals_the_functional_composition()
    {
        var block = new BasicBlock(2, 3, stride: 2, generator: new Generator(5));
        var x = Tensor.Randn(new Shape(4, 2, 5, 5), new Generator(6));
        var down = (Conv2d)block.Downsample![0];

        var expected = F.ReLU(
            F.BatchNorm(F.Conv2d(F.ReLU(F.BatchNorm(F.Conv2d(x, block.Conv1.Weight, stride: 2, padding: 1), null, null, block.Bn1.Weight, block.Bn1.Bias, training: true)),
                block.Conv2.Weight, padding: 1), null, null, block.Bn2.Weight, block.Bn2.Bias, training: true)
            + F.BatchNorm(F.Conv2d(x, down.Weight, stride: 2), null, null, training: true));
        var y = block.Forward(x);

        Assert.Equal(new Shape(4, 3, 3, 3), y.Shape);
        var (a, b) = (y.ToArray(), expected.ToArray());
        for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 4);
    }

    [Theory]
    [InlineData(4, 4, 1, false)]
    [InlineData(4, 8, 1, true)]
    [InlineData(4, 4, 2, true)]
    public void Shortcut_is_a_projection_exactly_when_the_shape_changes(int inChannels, int outChannels, int stride, bool projected)
    {
        var block = new BasicBlock(inChannels, outChannels, stride);
        Assert.Equal(projected, block.Downsample is not null);
        var keys = block.StateDict().Keys.ToList();
        Assert.Contains("conv1.weight", keys);
        Assert.Contains("bn2.running_var", keys);
        Assert.DoesNotContain("conv1.bias", keys); // the batch norm after it supplies the bias
        Assert.Equal(projected, keys.Contains("downsample.0.weight") && keys.Contains("downsample.1.running_mean"));
        Assert.Equal(new Shape(2, outChannels, (7 - 1) / stride + 1, (7 - 1) / stride + 1),
            block.Forward(Tensor.Randn(new Shape(2, inChannels, 7, 7), new Generator(1))).Shape);
    }

    [Fact]
    public void Bad_arguments_and_inputs_are_named()
    {
        Assert.Contains("stride must be positive", Assert.Throws<ArgumentOutOfRangeException>(() => new BasicBlock(2, 2, 0)).Message);
        Assert.Contains("channel counts must be positive", Assert.Throws<ArgumentOutOfRangeException>(() => new BasicBlock(0, 2)).Message);
        var e = Assert.Throws<ShapeMismatchException>(() => new BasicBlock(3, 8, 2).Forward(Tensor.Zeros(2, 4, 8, 8)));
        Assert.Equal("BasicBlock(3, 8, stride=2): expected input [N, 3, H, W], got [2, 4, 8, 8].", e.Message);
    }

    public static TheoryData<string> Devices => [.. TestDevices.All.Select(d => d.Name)];

    [Theory, MemberData(nameof(Devices))]
    public void Gradients_of_the_input_and_every_parameter_match_central_differences(string device)
    {
        // The projection shortcut, so every path of the block carries gradient. Evaluation mode, with running statistics
        // away from 0 and 1: the batch norms are then affine, and the block piecewise linear, so central differences are
        // exact between kinks. (Training-mode batch norm's own backward is in the op table; through two of them on a
        // small batch the float32 noise of Σw·y, divided by the table's 2e-3, reached ~1.5e-3, above atol.)
        var block = new BasicBlock(2, 3, stride: 2, generator: new Generator(11));
        var rng = new Generator(12);
        foreach (var p in block.Parameters().Where(p => p.Rank == 1)) Init.Uniform(p, 0.5f, 1.5f, rng); // γ, β away from 0
        foreach (var (name, b) in block.NamedBuffers())
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) Init.Normal(b, 0f, 0.5f, rng);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) Init.Uniform(b, 0.5f, 2f, rng);
        block.Eval();
        block.To(TestDevices.Named(device));
        var x = (Tensor.Randn(new Shape(2, 2, 5, 5), new Generator(13)) * 2f).To(TestDevices.Named(device)).RequireGrad();
        Tensor[] inputs = [x, .. block.Parameters()];

        var result = GradCheck.Run(t => block.Forward(t[0]), inputs, generator: new Generator(14));

        Assert.True(result.Passed, result.Report);
        Assert.Equal(inputs.Length, result.Inputs.Count);
    }
}
