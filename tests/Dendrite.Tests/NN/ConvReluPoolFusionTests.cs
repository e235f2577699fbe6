using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.NN;

/// <summary>
/// Sequential runs [Conv2d, ReLU, MaxPool2d(2)] as one op where the convolution's 2×2 Winograd output tiles are the
/// pooling windows. It may change neither a value nor a gradient, to the bit: windows that ReLU closes, tied maxima,
/// NaN, odd sizes whose last row and column no window covers, padding.
/// </summary>
[Collection(ProcessStateCollection.Name)]   // the dropout test draws from Generator.Default
public class ConvReluPoolFusionTests
{
    private static readonly (int Batch, int Channels, int Height, int Width, int OutChannels, int Padding)[] Shapes =
    [
        (2, 16, 12, 12, 16, 0),     // the W2 net's second layer, smaller
        (3, 16, 13, 11, 17, 0),     // odd outputs (11 × 9): a last row and column no window covers
        (2, 18, 9, 10, 16, 1),      // padding 1
        (2, 16, 5, 30, 16, 2),      // rows of 32: a whole vector of windows
        (2, 16, 19, 21, 16, 1),     // 19 × 21 out: 10 windows a row, the second 8-lane half holds two, an odd last column
    ];

    /// <summary>Every shape on every instruction set (forced): AVX-512's and AVX2's transforms, and im2col (portable).</summary>
    public static TheoryData<string, int, int, int, int, int, int> Geometries()
    {
        var data = new TheoryData<string, int, int, int, int, int, int>();
        foreach (var isa in Enum.GetNames<CpuIsa>())
            foreach (var (batch, channels, height, width, outChannels, padding) in Shapes)
                data.Add(isa, batch, channels, height, width, outChannels, padding);
        return data;
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void The_fused_layers_give_the_unfused_values_and_gradients(string isa, int batch, int channels, int height, int width,
        int outChannels, int padding)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        var conv = new Conv2d(channels, outChannels, 3, padding: padding, generator: new Generator(1));
        Awkward(conv, channels);
        var model = new Sequential(conv, new ReLU(), new MaxPool2d(2));
        var x = Tensor.Randn(new Shape(batch, channels, height, width), new Generator(2));
        x.Data[5] = float.NaN;   // a NaN input: NaN outputs around it, which pooling must pick and pass
        int oh = height + 2 * padding - 2, ow = width + 2 * padding - 2;
        var upstream = Tensor.Randn(new Shape(batch, outChannels, oh / 2, ow / 2), new Generator(3));

        var fused = Run(conv, x, upstream, input => model.Call(input));
        var plain = Run(conv, x, upstream, input => F.MaxPool2d(F.ReLU(conv.Call(input)), 2));

        for (int i = 0; i < plain.Length; i++) Assert.Equal(Bits(plain[i]), Bits(fused[i]));
        Assert.Contains(plain[0], float.IsNaN);
        Assert.Contains(plain[0], v => v == 0f);   // windows ReLU closed
        var g = Geometry(batch, channels, height, width, outChannels, padding);
        Assert.Equal(Winograd.FitsPooled(g), TakesFusedKernel(x, conv, padding));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void A_relu_before_the_fused_layers_gives_the_unfused_values_and_gradients(string isa, int batch, int channels, int height,
        int width, int outChannels, int padding)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        var conv = new Conv2d(channels, outChannels, 3, padding: padding, generator: new Generator(8));
        Awkward(conv, channels);
        var model = new Sequential(new ReLU(), conv, new ReLU(), new MaxPool2d(2));
        var x = Tensor.Randn(new Shape(batch, channels, height, width), new Generator(9));
        x.Data[5] = float.NaN;   // NaN passes ReLU
        x.Data[7] = -0f;         // and −0 becomes +0
        x.Data[8] = 0f;          // a zero passes no gradient
        int oh = height + 2 * padding - 2, ow = width + 2 * padding - 2;
        var upstream = Tensor.Randn(new Shape(batch, outChannels, oh / 2, ow / 2), new Generator(10));

        var fused = Run(conv, x, upstream, input => model.Call(input));
        var plain = Run(conv, x, upstream, input => F.MaxPool2d(F.ReLU(conv.Call(F.ReLU(input))), 2));

        for (int i = 0; i < plain.Length; i++) Assert.Equal(Bits(plain[i]), Bits(fused[i]));
        Assert.Contains(plain[1], v => v == 0f);   // input gradient closed where the input was ≤ 0
        var g = Geometry(batch, channels, height, width, outChannels, padding);
        Assert.Equal(Winograd.FitsPooled(g), TakesFusedKernel(x, conv, padding, reluInput: true));
    }

    [Theory]
    [InlineData(true, nameof(CpuIsa.Avx512))]
    [InlineData(false, nameof(CpuIsa.Avx512))]
    [InlineData(true, nameof(CpuIsa.Avx2))]
    [InlineData(false, nameof(CpuIsa.Avx2))]
    public void A_dropout_after_the_pooling_joins_with_the_same_mask_values_and_gradients(bool training, string isa)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        // The W2 net's block: ReLU (after the first convolution), Conv2d, ReLU, MaxPool2d(2), Dropout(0.25).
        var conv = new Conv2d(16, 16, 3, generator: new Generator(11));
        var dropout = new Dropout(0.25f);
        var model = new Sequential(new ReLU(), conv, new ReLU(), new MaxPool2d(2), dropout);
        model.Train(training);
        var x = Tensor.Randn(new Shape(3, 16, 12, 12), new Generator(12));
        var upstream = Tensor.Randn(new Shape(3, 16, 5, 5), new Generator(13));
        var state = Generator.Default.GetState();

        var fused = Run(conv, x, upstream, input => model.Call(input));
        var after = Generator.Default.GetState();
        Generator.Default.SetState(state);
        var plain = Run(conv, x, upstream, input => F.Dropout(F.MaxPool2d(F.ReLU(conv.Call(F.ReLU(input))), 2), 0.25f, training));

        for (int i = 0; i < plain.Length; i++) Assert.Equal(Bits(plain[i]), Bits(fused[i]));
        Assert.Equal(Generator.Default.GetState(), after);   // the same draws, as many
        var undropped = F.MaxPool2d(F.ReLU(conv.Call(F.ReLU(x))), 2).ToArray();
        Assert.Equal(!training, Bits(undropped).SequenceEqual(Bits(fused[0])));   // dropped and scaled only in training
    }

    [Fact]
    public void The_fused_kernel_is_taken_for_the_W2_net_where_winograd_is()
    {
        var g = Geometry(64, 32, 26, 26, 64, 0);
        Assert.Equal(Winograd.Fits(g), Winograd.FitsPooled(g));
        Assert.False(Winograd.FitsPooled(g with { Height = 3, Width = 3 }));   // one output: no whole window
    }

    [Theory]
    [InlineData(nameof(CpuIsa.Avx512))]
    [InlineData(nameof(CpuIsa.Avx2))]
    public void One_image_in_eval_mode_gives_the_unfused_values(string isa)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        // W5's batch-1 inference: the fused forward with the image's channels split over the cores.
        var conv = new Conv2d(32, 64, 3, generator: new Generator(14));
        var model = new Sequential(new ReLU(), conv, new ReLU(), new MaxPool2d(2), new Dropout(0.25f));
        model.Eval();
        var x = Tensor.Randn(new Shape(1, 32, 26, 26), new Generator(15));
        using var _ = Tensor.NoGrad();

        var fused = model.Call(x).ToArray();
        var plain = F.MaxPool2d(F.ReLU(conv.Call(F.ReLU(x))), 2).ToArray();

        Assert.Equal(Bits(plain), Bits(fused));
    }

    [Fact]
    public void Ceil_mode_with_an_odd_side_runs_the_layers_one_by_one()
    {
        var conv = new Conv2d(16, 16, 3, generator: new Generator(4));
        var model = new Sequential(conv, new ReLU(), new MaxPool2d(2, ceilMode: true));
        var x = Tensor.Randn(new Shape(2, 16, 9, 9), new Generator(5));   // 7 × 7 out: a half window at each end

        var y = model.Call(x);

        Assert.Equal(new Shape(2, 16, 4, 4), y.Shape);
        Assert.Equal(F.MaxPool2d(F.ReLU(conv.Call(x)), 2, ceilMode: true).ToArray(), y.ToArray());
        Assert.False(TakesFusedKernel(x, conv, 0, ceilMode: true));
    }

    [Fact]
    public void A_hooked_convolution_runs_on_its_own_and_its_hook_sees_the_full_activation()
    {
        var conv = new Conv2d(16, 16, 3, generator: new Generator(6));
        var model = new Sequential(conv, new ReLU(), new MaxPool2d(2));
        Shape? seen = null;
        using var _ = conv.RegisterForwardHook((_, _, output) => seen = output.Shape);
        var x = Tensor.Randn(new Shape(2, 16, 10, 10), new Generator(7));

        var y = model.Call(x);

        Assert.Equal(new Shape(2, 16, 8, 8), seen);
        Assert.Equal(F.MaxPool2d(F.ReLU(conv.Call(x)), 2).ToArray(), y.ToArray());
    }

    /// <summary>Filters that make awkward windows: one all zero with a positive bias (four tied outputs), one all zero
    /// with a negative bias (ReLU closes every window).</summary>
    private static void Awkward(Conv2d conv, int channels)
    {
        var w = conv.Weight.Data;
        w.Slice(0, channels * 9).Clear();
        w.Slice(channels * 9, channels * 9).Clear();
        conv.Bias!.Data[0] = 0.5f;
        conv.Bias!.Data[1] = -0.5f;
    }

    /// <summary>The values' bit patterns: −0 and +0 differ, as they would in a division.</summary>
    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>Output, input gradient, weight gradient and bias gradient.</summary>
    private static float[][] Run(Conv2d conv, Tensor x, Tensor upstream, Func<Tensor, Tensor> f)
    {
        conv.Weight.Grad = null;
        conv.Bias!.Grad = null;
        var input = Tensor.FromArray(x.ToArray(), x.Shape.AsSpan().ToArray()).RequireGrad();
        var y = f(input);
        y.Backward(upstream);
        return [y.ToArray(), input.Grad!.ToArray(), conv.Weight.Grad!.ToArray(), conv.Bias.Grad!.ToArray()];
    }

    private static ConvGeometry Geometry(int batch, int channels, int height, int width, int outChannels, int padding) => new()
    {
        Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
        KernelH = 3, KernelW = 3, StrideH = 1, StrideW = 1, PadTop = padding, PadBottom = padding, PadLeft = padding,
        PadRight = padding, DilationH = 1, DilationW = 1, Groups = 1,
    };

    /// <summary>Whether the public fused op ran the backend's fused kernel: then the tape holds one node named for the block.</summary>
    private static bool TakesFusedKernel(Tensor x, Conv2d conv, int padding, bool ceilMode = false, bool reluInput = false) =>
        F.Conv2dReluMaxPool2d(x, conv.Weight, conv.Bias, padding: padding, ceilMode: ceilMode, reluInput: reluInput).GradFn!.Op
            .Contains("MaxPool2d", StringComparison.Ordinal);
}
