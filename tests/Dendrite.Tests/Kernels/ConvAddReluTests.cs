using Dendrite.Backends.Cpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// <see cref="F.Conv2dAddReLU"/> adds the residual and applies the ReLU inside the convolution's output pass (the CPU:
/// Winograd's output transform on AVX-512 and AVX2, after each sample's GEMM for im2col). It must give the separate ops'
/// values to the bit on every path: NaN kept, −0 and below to +0.
/// </summary>
public class ConvAddReluTests
{
    private static readonly (int Batch, int Channels, int Height, int Width, int OutChannels, int Kernel, int Stride, int Padding)[] Shapes =
    [
        (2, 16, 12, 12, 16, 3, 1, 1),   // Winograd, a sample per core
        (1, 16, 9, 10, 20, 3, 1, 1),    // Winograd on one image: channels split over the cores, odd output width
        (2, 16, 9, 9, 16, 3, 2, 1),     // stride 2: im2col, a sample per core
        (1, 8, 9, 9, 8, 3, 2, 1),       // one image by output positions
        (2, 8, 5, 5, 6, 1, 1, 0),       // 1×1
        (2, 1, 10, 10, 8, 3, 1, 1),     // few taps (one input channel), a sample per core
        (1, 1, 28, 28, 32, 3, 1, 0),    // few taps on one image: output channels split over the cores
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var isa in Enum.GetNames<CpuIsa>())
            for (int shape = 0; shape < Shapes.Length; shape++) data.Add(isa, shape);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_epilogue_gives_the_separate_ops_values_to_the_bit(string isa, int shape)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isa));
        var (batch, channels, height, width, outChannels, kernel, stride, padding) = Shapes[shape];
        var x = Tensor.Randn(new Shape(batch, channels, height, width), new Generator(1));
        var w = Tensor.Randn(new Shape(outChannels, channels, kernel, kernel), new Generator(2));
        var b = Tensor.Randn(new Shape(outChannels), new Generator(3));
        int oh = (height + 2 * padding - kernel) / stride + 1, ow = (width + 2 * padding - kernel) / stride + 1;
        var r = Tensor.Randn(new Shape(batch, outChannels, oh, ow), new Generator(4));
        r.Data[3] = float.NaN;
        var conv = F.Conv2d(x, w, b, stride: stride, padding: padding);
        r.Data[5] = -conv.ToArray()[5];   // a sum of exactly 0
        r.Data[6] = float.NegativeZero;

        foreach (var (residual, relu) in new[] { (r, true), (r, false), ((Tensor?)null, true) })
        {
            var fused = F.Conv2dAddReLU(x, w, b, residual, relu, stride: stride, padding: padding).ToArray();
            var sum = residual is null ? conv : conv + residual;
            var plain = (relu ? F.ReLU(sum) : sum).ToArray();
            Assert.Equal(Bits(plain), Bits(fused));
        }
    }

    [Fact]
    public void The_reference_backend_composes_the_same_values()
    {
        var device = TestDevices.Named("reference");
        var x = Tensor.Randn(new Shape(2, 3, 5, 4), new Generator(5)).To(device);
        var w = Tensor.Randn(new Shape(4, 3, 3, 3), new Generator(6)).To(device);
        var r = Tensor.Randn(new Shape(2, 4, 5, 4), new Generator(7)).To(device);

        var fused = F.Conv2dAddReLU(x, w, null, r, padding: 1).ToArray();

        Assert.Equal(Bits(F.ReLU(F.Conv2d(x, w, padding: 1) + r).ToArray()), Bits(fused));
        Assert.Contains(fused, v => v == 0f);
    }

    [Fact]
    public void A_residual_of_another_shape_is_refused_with_both_shapes()
    {
        var x = Tensor.Randn(new Shape(1, 2, 4, 4), new Generator(8));
        var w = Tensor.Randn(new Shape(3, 2, 3, 3), new Generator(9));

        var e = Assert.Throws<ShapeMismatchException>(() => F.Conv2dAddReLU(x, w, residual: Tensor.Zeros(1, 3, 4, 4)));

        Assert.Contains("Conv2dAddReLU", e.Message);
        Assert.Contains("[1, 3, 2, 2]", e.Message);
        Assert.Contains("[1, 3, 4, 4]", e.Message);
    }

    private static uint[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToUInt32Bits)];
}
