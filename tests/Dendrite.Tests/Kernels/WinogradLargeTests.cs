using Dendrite.Backends.Cpu;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Winograd's F(4×4, 3×3), which layers in evaluation mode run (their packed weights carry it), against the reference
/// backend's direct sum in float32 on each instruction set: the W6 net's channel counts, ragged last tiles, tile rows
/// that straddle two GEMM panels, padding 0 to 2; the epilogue's values to the bit; results independent of the thread count.
/// </summary>
[Collection(ProcessStateCollection.Name)]   // sets Threading.NumThreads
public class WinogradLargeTests
{
    /// <summary>
    /// The largest error against the reference, relative to the largest output, with inputs and weights of PyTorch's
    /// scale (x ~ N(0, 1), w ~ U(±1/√(9C))). Measured on 4 images: F(4×4) 4e-6 to 1.3e-5 at 32 to 128 channels (the
    /// most at 128 channels on 16×16 maps), F(2×2) 2.5e-7 to 5e-7, so about 20 times F(2×2)'s.
    /// </summary>
    private const double Bound = 3e-5;

    public static TheoryData<string, int, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int, int, int, int>();
        (int Batch, int Channels, int Height, int Width, int OutChannels, int Padding)[] shapes =
        [
            (2, 32, 32, 32, 32, 1),     // W6 at 32 channels: 64 tiles, an image a task
            (5, 64, 16, 16, 64, 1),     // W6 at 64: two images a task (16 tiles each), the last task one
            (4, 128, 16, 16, 128, 1),   // 128 channels
            (17, 128, 8, 8, 128, 1),    // W6 at 128: 8×8 maps, 4 tiles, eight images a task, the last one alone
            (4, 16, 19, 21, 20, 1),     // 5 × 6 tiles: ragged last tiles, tile rows across panel edges, two images a task
            (2, 16, 20, 30, 16, 0),     // padding 0: 7 tiles a row
            (4, 17, 14, 14, 19, 2),     // padding 2, odd channel counts
            (17, 20, 5, 7, 24, 1),      // 2 × 2 tiles of which the last row and column are ragged, 8 images a task
        ];
        foreach (var isa in new[] { nameof(CpuIsa.Avx512), nameof(CpuIsa.Avx2) })
            foreach (var (batch, channels, height, width, outChannels, padding) in shapes)
                data.Add(isa, batch, channels, height, width, outChannels, padding);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_eval_convolution_runs_large_tiles_close_to_the_reference(string isa, int batch, int channels, int height, int width,
        int outChannels, int padding)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        if (!Winograd.Accelerated(Isa.Current)) return;   // not in this processor: no Winograd runs, large or small
        var conv = new Conv2d(channels, outChannels, 3, padding: padding, generator: new Generator(1));
        conv.Eval();
        var x = Tensor.Randn(new Shape(batch, channels, height, width), new Generator(2));
        var g = F.Conv2dGeometry(x, conv.Weight, conv.Bias, 1, padding, 1, 1);
        Assert.True(Winograd.FitsLarge(g));
        using var _ = Tensor.NoGrad();

        var large = conv.Call(x).ToArray();
        var direct = F.Conv2d(x.To(Device.Reference), conv.Weight.To(Device.Reference), conv.Bias!.To(Device.Reference), padding: padding).ToArray();
        conv.Train();
        var small = conv.Call(x).ToArray();   // training keeps F(2×2)

        double scale = direct.Max(MathF.Abs), largeError = MaxError(direct, large) / scale, smallError = MaxError(direct, small) / scale;
        Assert.True(largeError <= Bound, $"F(4×4): relative error {largeError:E2} (F(2×2): {smallError:E2})");
        Assert.NotEqual(Bits(small), Bits(large));   // the large tiles did run
    }

    [Theory]
    [InlineData(nameof(CpuIsa.Avx512), 5, 15, 17)]   // 20 tiles: two images a task, the last alone
    [InlineData(nameof(CpuIsa.Avx2), 5, 15, 17)]
    [InlineData(nameof(CpuIsa.Avx512), 19, 8, 8)]    // eight images a task, the last task three
    [InlineData(nameof(CpuIsa.Avx2), 19, 7, 6)]
    [InlineData(nameof(CpuIsa.Avx512), 6, 16, 13)]   // 4 tiles a row: two tile rows a pass, the second part of a row 5 wide
    [InlineData(nameof(CpuIsa.Avx2), 6, 15, 16)]
    public void The_epilogue_and_the_thread_count_change_no_bit(string isa, int batch, int height, int width)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        if (!Winograd.Accelerated(Isa.Current)) return;   // not in this processor: no Winograd runs, large or small
        var conv = new Conv2d(32, 32, 3, padding: 1, generator: new Generator(3));
        conv.Eval();
        var x = Tensor.Randn(new Shape(batch, 32, height, width), new Generator(4));
        var r = Tensor.Randn(new Shape(batch, 32, height, width), new Generator(5));
        r.Data[2] = float.NaN;
        using var _ = Tensor.NoGrad();
        var packed = conv.PackedForEvaluation(x);
        Assert.True(Winograd.FitsLarge(F.Conv2dGeometry(x, conv.Weight, conv.Bias, 1, 1, 1, 1)));

        int saved = Threading.NumThreads;
        try
        {
            Threading.NumThreads = 1;
            var one = F.Conv2dAddReLU(x, conv.Weight, conv.Bias, r, padding: 1, packedWeight: packed).ToArray();
            Threading.NumThreads = 2;
            var plain = F.ReLU(F.Conv2d(x, conv.Weight, conv.Bias, padding: 1, packedWeight: packed) + r).ToArray();
            var fused = F.Conv2dAddReLU(x, conv.Weight, conv.Bias, r, padding: 1, packedWeight: packed).ToArray();

            Threading.NumThreads = 3;
            var three = F.Conv2dAddReLU(x, conv.Weight, conv.Bias, r, padding: 1, packedWeight: packed).ToArray();

            Assert.Equal(Bits(plain), Bits(fused));
            Assert.Equal(Bits(one), Bits(fused));
            Assert.Equal(Bits(three), Bits(fused));
            Assert.Contains(fused, float.IsNaN);
            Assert.Contains(fused, v => v == 0f);
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }

    [Fact]
    public void Small_maps_and_single_images_keep_small_tiles()
    {
        var conv = new Conv2d(128, 128, 3, padding: 1);
        // 8×8 maps: 4 tiles an image, eight images a task, and a batch of fewer than two tasks keeps small tiles.
        Assert.False(Winograd.FitsLarge(F.Conv2dGeometry(Tensor.Zeros(15, 128, 8, 8), conv.Weight, null, 1, 1, 1, 1)));
        Assert.True(Winograd.FitsLarge(F.Conv2dGeometry(Tensor.Zeros(16, 128, 8, 8), conv.Weight, null, 1, 1, 1, 1)));
        Assert.False(Winograd.FitsLargeShape(F.Conv2dGeometry(Tensor.Zeros(16, 128, 3, 3), conv.Weight, null, 1, 1, 1, 1)));  // 8 tiles a task
        Assert.False(Winograd.FitsLarge(F.Conv2dGeometry(Tensor.Zeros(1, 128, 32, 32), conv.Weight, null, 1, 1, 1, 1)));  // one image
        Assert.True(Winograd.FitsLargeShape(F.Conv2dGeometry(Tensor.Zeros(1, 128, 32, 32), conv.Weight, null, 1, 1, 1, 1)));
    }

    private static double MaxError(float[] expected, float[] actual)
    {
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
        return max;
    }

    private static uint[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToUInt32Bits)];
}
