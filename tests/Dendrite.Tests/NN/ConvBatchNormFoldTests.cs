using Dendrite.Backends.Cpu;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.NN;

/// <summary>
/// In evaluation without gradients, [Conv2d, BatchNorm2d, ReLU?] and BasicBlock run each batch norm folded into its
/// convolution, the block's shortcut and ReLU in the second convolution's epilogue (<see cref="F.Conv2dAddReLU"/>). The
/// folded values equal the layers' to float rounding; training, eval with gradients and hooked layers are untouched,
/// to the bit; and the fold follows every change of the weights and statistics it came from.
/// </summary>
public class ConvBatchNormFoldTests
{
    public static TheoryData<string> Devices() => [.. TestDevices.All.Select(d => d.Name)];

    /// <summary>Statistics, scales and shifts far from their defaults, so that a fold that dropped one would show.</summary>
    private static void Awkward(BatchNorm2d norm, int seed)
    {
        var g = new Generator((ulong)seed);
        int c = norm.NumFeatures;
        Fill(norm.RunningMean!, Tensor.Randn(new Shape(c), g));
        Fill(norm.RunningVar!, F.Add(Tensor.Rand(new Shape(c), g), 0.3f));
        Fill(norm.Weight!, F.Add(Tensor.Randn(new Shape(c), g), 0.5f));
        Fill(norm.Bias!, Tensor.Randn(new Shape(c), g));
    }

    private static void Fill(Tensor target, Tensor values) => values.ToArray().CopyTo(target.Data);

    private static BasicBlock Block(int inChannels, int outChannels, int stride, int seed)
    {
        var block = new BasicBlock(inChannels, outChannels, stride, new Generator((ulong)seed));
        Awkward(block.Bn1, seed + 1);
        Awkward(block.Bn2, seed + 2);
        if (block.Downsample is not null) Awkward((BatchNorm2d)block.Downsample[1], seed + 3);
        return block;
    }

    /// <summary>The block's layers one by one, as BasicBlock ran them before folding existed.</summary>
    private static Tensor Unfolded(BasicBlock b, Tensor x)
    {
        var hidden = F.ReLU(b.Bn1.Forward(b.Conv1.Forward(x)));
        var residual = b.Bn2.Forward(b.Conv2.Forward(hidden));
        var shortcut = b.Downsample is null ? x : b.Downsample[1].Forward(b.Downsample[0].Forward(x));
        return F.ReLU(residual + shortcut);
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance * scale, $"at {i}: expected {expected[i]}, got {actual[i]} (max |value| {scale})");
    }

    private static uint[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToUInt32Bits)];

    [Theory]
    [InlineData(16, 16, 1, 2, 8)]    // Winograd: identity shortcut
    [InlineData(16, 32, 2, 2, 9)]    // stride 2 (im2col) with the 1×1 projection
    [InlineData(16, 16, 1, 1, 8)]    // one image: the channels split over the cores
    [InlineData(3, 5, 1, 2, 7)]      // too few channels for Winograd
    public void An_eval_block_without_gradients_equals_its_layers_on_each_device(int inChannels, int outChannels, int stride, int batch,
        int size)
    {
        foreach (var device in TestDevices.All)
        {
            var block = Block(inChannels, outChannels, stride, 10);
            block.To(device);
            block.Eval();
            var x = Tensor.Randn(new Shape(batch, inChannels, size, size), new Generator(11)).To(device);
            using var _ = Tensor.NoGrad();

            var folded = block.Call(x).ToArray();
            var layers = Unfolded(block, x).ToArray();

            AssertClose(layers, folded);
            Assert.Contains(layers, v => v == 0f);   // closed outputs
            Assert.Contains(layers, v => v > 0f);
        }
    }

    [Theory]
    [InlineData(nameof(CpuIsa.Avx512))]
    [InlineData(nameof(CpuIsa.Avx2))]
    [InlineData(nameof(CpuIsa.Portable))]
    public void Each_instruction_set_folds_to_the_layers_values(string isa)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        var block = Block(32, 32, 1, 20);
        block.Eval();
        var x = Tensor.Randn(new Shape(2, 32, 11, 13), new Generator(21));
        using var _ = Tensor.NoGrad();

        AssertClose(Unfolded(block, x).ToArray(), block.Call(x).ToArray());
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void A_sequential_conv_norm_relu_folds_with_and_without_a_convolution_bias(string device)
    {
        foreach (bool bias in new[] { false, true })
        {
            var conv = new Conv2d(16, 24, 3, padding: 1, bias: bias, generator: new Generator(30));
            var norm = new BatchNorm2d(24);
            Awkward(norm, 31);
            var model = new Sequential(conv, norm, new ReLU(), new Conv2d(24, 8, 1, generator: new Generator(32)), new BatchNorm2d(8));
            Awkward((BatchNorm2d)model[4], 33);
            model.To(TestDevices.Named(device));
            model.Eval();
            var x = Tensor.Randn(new Shape(3, 16, 6, 7), new Generator(34)).To(TestDevices.Named(device));
            using var _ = Tensor.NoGrad();

            var folded = model.Call(x).ToArray();
            var layers = x;
            for (int i = 0; i < model.Count; i++) layers = model[i].Forward(layers);

            AssertClose(layers.ToArray(), folded);
        }
    }

    [Fact]
    public void Training_runs_the_layers_to_the_bit_before_and_after_an_evaluation()
    {
        var block = Block(16, 16, 1, 40);
        var twin = Block(16, 16, 1, 40);
        var x = Tensor.Randn(new Shape(2, 16, 8, 8), new Generator(41));
        block.Eval();
        using (Tensor.NoGrad()) block.Call(x);   // folds and caches
        block.Train();
        twin.Train();

        var y = block.Call(x);
        var expected = Unfolded(twin, x);
        Assert.Equal(Bits(expected.ToArray()), Bits(y.ToArray()));
        y.Sum().Backward();
        expected.Sum().Backward();
        Assert.Equal(Bits(twin.Conv1.Weight.Grad!.ToArray()), Bits(block.Conv1.Weight.Grad!.ToArray()));
        Assert.Equal(Bits(twin.Bn2.RunningMean!.ToArray()), Bits(block.Bn2.RunningMean!.ToArray()));
    }

    [Fact]
    public void Eval_with_gradients_runs_the_layers_to_the_bit_and_gives_input_gradients()
    {
        var block = Block(16, 16, 1, 50);
        block.Eval();
        var x = Tensor.Randn(new Shape(2, 16, 8, 8), new Generator(51));
        x.RequiresGrad = true;

        var y = block.Call(x);
        Assert.Equal(Bits(Unfolded(block, x).ToArray()), Bits(y.ToArray()));
        y.Sum().Backward();
        Assert.NotNull(x.Grad);
        Assert.NotNull(block.Bn1.Weight!.Grad);
    }

    [Fact]
    public void The_fold_follows_statistics_that_training_moved_and_weights_an_optimiser_changed()
    {
        var block = Block(16, 16, 1, 60);
        var x = Tensor.Randn(new Shape(4, 16, 8, 8), new Generator(61));
        var optimizer = new Sgd(block.Parameters(), lr: 0.1f);
        block.Eval();
        using (Tensor.NoGrad()) block.Call(x);

        block.Train();
        var loss = block.Call(x).Sum();   // moves the running statistics
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();                 // and the weights
        block.Eval();
        using var _ = Tensor.NoGrad();

        AssertClose(Unfolded(block, x).ToArray(), block.Call(x).ToArray());
        block.Bn2.Weight!.Data[3] = 5f;   // a host write
        block.Bn1.RunningVar!.Data[0] = 9f;
        AssertClose(Unfolded(block, x).ToArray(), block.Call(x).ToArray());
    }

    [Fact]
    public void A_hooked_norm_runs_on_its_own_and_its_hook_sees_its_output()
    {
        var conv = new Conv2d(16, 16, 3, padding: 1, bias: false, generator: new Generator(70));
        var norm = new BatchNorm2d(16);
        Awkward(norm, 71);
        var model = new Sequential(conv, norm, new ReLU());
        model.Eval();
        Tensor? seen = null;
        using var hook = norm.RegisterForwardHook((_, _, output) => seen = output);
        var x = Tensor.Randn(new Shape(2, 16, 5, 5), new Generator(72));
        using var _ = Tensor.NoGrad();

        var y = model.Call(x);

        Assert.NotNull(seen);
        Assert.Equal(Bits(F.ReLU(norm.Forward(conv.Forward(x))).ToArray()), Bits(y.ToArray()));
    }

    [Fact]
    public void A_relu_before_max_pooling_stays_with_the_pooling()
    {
        var conv = new Conv2d(16, 16, 3, padding: 1, bias: false, generator: new Generator(80));
        var norm = new BatchNorm2d(16);
        Awkward(norm, 81);
        var model = new Sequential(conv, norm, new ReLU(), new MaxPool2d(2));
        model.Eval();
        var x = Tensor.Randn(new Shape(2, 16, 6, 6), new Generator(82));
        using var _ = Tensor.NoGrad();

        AssertClose(F.MaxPool2d(F.ReLU(norm.Forward(conv.Forward(x))), 2).ToArray(), model.Call(x).ToArray());
    }
}
