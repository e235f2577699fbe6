using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Ops;

/// <summary>
/// The course's worked convolution and pooling examples, and hand-computed values for every variant, on each test
/// device.
/// </summary>
public abstract class ConvolutionValueTests : DeviceTests
{
    private static readonly float[] Heartbeat = [0, 0, 0, 1, -1, 0.5f, 0, 0, 0, 0];

    private Tensor Signal(float[] values) => On(Tensor.FromArray(values, 1, 1, values.Length));

    [Fact]
    public void Course_1d_convolution_of_the_heartbeat_with_kernel_0_2_1_at_stride_1()
    {
        // y[i] = 0·x[i] + 2·x[i+1] + 1·x[i+2], "valid": 10 − 3 + 1 = 8 outputs.
        var y = F.Conv1d(Signal(Heartbeat), On(Tensor.FromArray([0f, 2f, 1f], 1, 1, 3)));
        Assert.Equal([0f, 1f, 1f, -1.5f, 1f, 0f, 0f, 0f], y.ToArray());
        Assert.Equal(new Shape(1, 1, 8), y.Shape);
    }

    [Fact]
    public void Course_1d_convolution_at_stride_3_keeps_every_third_window()
    {
        // Windows start at 0, 3 and 6: ⌊(10 − 3)/3⌋ + 1 = 3 outputs.
        var y = F.Conv1d(Signal(Heartbeat), On(Tensor.FromArray([0f, 2f, 1f], 1, 1, 3)), stride: 3, padding: "valid");
        Assert.Equal([0f, -1.5f, 0f], y.ToArray());
    }

    [Fact]
    public void Course_1d_convolution_with_kernel_2_then_relu()
    {
        var y = F.ReLU(F.Conv1d(Signal(Heartbeat), On(Tensor.FromArray([2f], 1, 1, 1))));
        Assert.Equal([0f, 0f, 0f, 2f, 0f, 1f, 0f, 0f, 0f, 0f], y.ToArray());
    }

    [Fact]
    public void Course_2x2_max_pooling_with_stride_1()
    {
        var map = On(Tensor.FromArray(new float[,]
        {
            { 0, 22, 0, 1 }, { 12, 2, 3, 23 }, { 3, 34, 26, 2 }, { 0, 22, 86, 3 }, { 4, 3, 1, 4 },
        }));
        var y = F.MaxPool2d(map.Reshape(1, 1, 5, 4), 2, stride: 1);
        // The slide prints 26 at row 2, column 2, but that window holds 2, 3, 34 and 26: its maximum is 34.
        float[] expected = [22, 22, 23, 34, 34, 26, 34, 86, 86, 22, 86, 86];
        Assert.Equal(expected, y.ToArray());
        Assert.Equal(new Shape(1, 1, 4, 3), y.Shape);
    }

    [Fact]
    public void Course_2x2_max_pooling_with_stride_2_over_0_to_15()
    {
        var y = F.MaxPool2d(On(Tensor.Arange(16)).Reshape(1, 1, 4, 4), 2);
        Assert.Equal([5f, 7f, 13f, 15f], y.ToArray());
    }

    [Fact]
    public void Average_pooling_2x2_stride_2_worked_by_hand()
    {
        // (0+1+4+5)/4, (2+3+6+7)/4, (8+9+12+13)/4, (10+11+14+15)/4
        var y = F.AvgPool2d(On(Tensor.Arange(16)).Reshape(1, 1, 4, 4), 2);
        Assert.Equal([2.5f, 4.5f, 10.5f, 12.5f], y.ToArray());
    }

    [Fact]
    public void Average_pooling_with_padding_counts_the_zeros_unless_told_not_to()
    {
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 4));
        // Windows of 3 with one zero each side: [0,1,2], [2,3,4] at stride 2.
        Assert.Equal([1f, 3f], F.AvgPool1d(x, 3, stride: 2, padding: 1).ToArray());
        Assert.Equal([1.5f, 3f], F.AvgPool1d(x, 3, stride: 2, padding: 1, countIncludePad: false).ToArray());
    }

    [Fact]
    public void Max_pooling_ceil_mode_adds_a_partial_last_window()
    {
        var x = On(Tensor.FromArray([1f, 5f, 2f, 7f, 3f], 1, 1, 5));
        Assert.Equal([5f, 7f], F.MaxPool1d(x, 2).ToArray());
        Assert.Equal([5f, 7f, 3f], F.MaxPool1d(x, 2, ceilMode: true).ToArray());
    }

    [Fact]
    public void Max_pooling_routes_the_gradient_to_the_first_maximum_only()
    {
        var x = On(Tensor.FromArray([3f, 3f, 1f, 3f], 1, 1, 2, 2)).RequireGrad();
        F.Sum(F.MaxPool2d(x, 2)).Backward();
        Assert.Equal([1f, 0f, 0f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void Conv2d_with_a_2x2_kernel_worked_by_hand()
    {
        // x = 1..9 as 3×3, w = [[1, 0], [0, −1]]: each output = top-left − bottom-right = −4.
        var x = On(Tensor.Arange(1, 10)).Reshape(1, 1, 3, 3);
        var w = On(Tensor.FromArray([1f, 0f, 0f, -1f], 1, 1, 2, 2));
        Assert.Equal([-4f, -4f, -4f, -4f], F.Conv2d(x, w).ToArray());
        // With one zero of padding: 4×4 outputs; the corners see one pixel each.
        var padded = F.Conv2d(x, w, On(Tensor.FromArray([10f], 1)), padding: 1).ToArray();
        Assert.Equal(16, padded.Length);
        Assert.Equal(10f - 1f, padded[0]);   // only x[0,0] under the −1 tap
        Assert.Equal(10f + 9f, padded[15]);  // only x[2,2] under the +1 tap
        Assert.Equal(10f - 4f, padded[5]);   // x[0,0] − x[1,1]
    }

    [Fact]
    public void Same_padding_keeps_the_size_and_puts_the_odd_zero_after()
    {
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 4));
        // Kernel of 2 with "same": one zero after. Outputs x[i] + 10·x[i+1].
        var y = F.Conv1d(x, On(Tensor.FromArray([1f, 10f], 1, 1, 2)), padding: "same");
        Assert.Equal([21f, 32f, 43f, 4f], y.ToArray());
        var same2d = F.Conv2d(On(Tensor.Ones(1, 1, 5, 6)), On(Tensor.Ones(1, 1, 3, 3)), padding: "same");
        Assert.Equal(new Shape(1, 1, 5, 6), same2d.Shape);
        var values = same2d.ToArray();
        Assert.Equal(4f, values[0]);
        Assert.Equal(9f, values[7]);
    }

    [Fact]
    public void Dilated_convolution_skips_pixels()
    {
        var x = On(Tensor.Arange(1, 8)).Reshape(1, 1, 7); // 1..7
        var y = F.Conv1d(x, On(Tensor.FromArray([1f, 1f], 1, 1, 2)), dilation: 3);
        Assert.Equal([5f, 7f, 9f, 11f], y.ToArray()); // x[i] + x[i+3]
    }

    [Fact]
    public void Grouped_convolution_keeps_groups_apart()
    {
        // Two channels, groups = 2: output 0 sees only channel 0, output 1 only channel 1.
        var x = On(Tensor.FromArray([1f, 2f, 3f, 10f, 20f, 30f], 1, 2, 3));
        var w = On(Tensor.FromArray([1f, 1f, 2f, -1f], 2, 1, 2));
        var y = F.Conv1d(x, w, groups: 2);
        Assert.Equal([3f, 5f, 0f, 10f], y.ToArray()); // [1+2, 2+3], [2·10−20, 2·20−30]
    }

    [Fact]
    public void ConvTranspose2d_with_stride_2_paints_each_pixel_as_a_block()
    {
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2));
        var w = On(Tensor.Ones(1, 1, 2, 2));
        float[] blocks = [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4];
        Assert.Equal(blocks, F.ConvTranspose2d(x, w, stride: 2).ToArray());
        // Stride 1: overlapping blocks add up: [[1,3,2],[4,10,6],[3,7,4]].
        Assert.Equal([1f, 3f, 2f, 4f, 10f, 6f, 3f, 7f, 4f], F.ConvTranspose2d(x, w).ToArray());
        // Output padding adds a row and a column: (2 − 1)·3 + (2 − 1) + 1 + 1 = 6.
        Assert.Equal(new Shape(1, 1, 6, 6), F.ConvTranspose2d(x, w, stride: 3, outputPadding: 1).Shape);
    }

    [Theory]
    [InlineData(1, 3, 5, 7, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1)]
    [InlineData(2, 4, 6, 5, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2)]
    [InlineData(3, 6, 9, 8, 3, 3, 3, 2, 3, 2, 1, 2, 1, 3)]
    [InlineData(2, 2, 4, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1)]
    public void Conv2d_matches_a_direct_sum_over_every_tap(int n, int cin, int h, int w, int cout, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, int groups)
    {
        var g = new Generator(42);
        var x = On(Tensor.Randn(new Shape(n, cin, h, w), g));
        var weight = On(Tensor.Randn(new Shape(cout, cin / groups, kh, kw), g));
        var bias = On(Tensor.Randn(new Shape(cout), g));
        var y = F.Conv2d(x, weight, bias, (sh, sw), (ph, pw), (dh, dw), groups);

        var expected = DirectConv2d(x, weight, bias, sh, sw, ph, pw, dh, dw, groups);
        Assert.Equal(expected.Shape, y.Shape);
        var got = y.ToArray();
        for (int i = 0; i < y.Numel; i++) Assert.Equal(expected.Data[i], got[i], 4);
    }

    [Fact]
    public void ConvTranspose2d_is_the_adjoint_of_Conv2d()
    {
        // ⟨conv(x), u⟩ = ⟨x, convᵀ(u)⟩ for the same weight: what makes ConvTranspose2d the gradient of Conv2d.
        var g = new Generator(7);
        var x = On(Tensor.Randn(new Shape(2, 4, 9, 8), g));
        var weight = On(Tensor.Randn(new Shape(6, 2, 3, 2), g));
        var conv = F.Conv2d(x, weight, stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 2);
        var u = On(Tensor.Randn(conv.Shape, g));
        var back = F.ConvTranspose2d(u, weight, stride: (2, 1), padding: (1, 0), outputPadding: (0, 0), groups: 2, dilation: (1, 2));
        Assert.Equal(x.Shape, back.Shape);
        double left = Dot(conv, u), right = Dot(x, back);
        Assert.Equal(left, right, 2);
    }

    [Fact]
    public void Adaptive_average_pooling_uses_overlapping_windows_as_pytorch()
    {
        // 5 → 3: windows [0,2), [1,4), [3,5).
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f, 5f], 1, 1, 5));
        Assert.Equal([1.5f, 3f, 4.5f], F.AdaptiveAvgPool1d(x, 3).ToArray());
        var global = F.AdaptiveAvgPool2d(On(Tensor.Arange(8)).Reshape(1, 2, 2, 2), 1);
        Assert.Equal(new Shape(1, 2, 1, 1), global.Shape);
        Assert.Equal([1.5f, 5.5f], global.ToArray());
        Assert.Equal(new Shape(1, 2), new GlobalAvgPool2d().Forward(On(Tensor.Arange(8)).Reshape(1, 2, 2, 2)).Shape);
    }

    [Fact]
    public void Nearest_upsampling_repeats_pixels_and_sums_their_gradients()
    {
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2)).RequireGrad();
        var y = F.UpsampleNearest2d(x, scaleFactor: 2);
        Assert.Equal([1f, 1f, 2f, 2f, 1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f, 3f, 3f, 4f, 4f], y.ToArray());
        F.Sum(y).Backward();
        Assert.Equal([4f, 4f, 4f, 4f], x.Grad!.ToArray());
        Assert.Equal(new Shape(1, 1, 3, 5), F.UpsampleNearest2d(x, size: (3, 5)).Shape);
    }

    [Fact]
    public void Pad_adds_zeros_last_dimension_first()
    {
        var x = On(Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2));
        var y = F.Pad(x, [1, 0, 0, 1]); // one column on the left, one row at the bottom
        Assert.Equal(new Shape(3, 3), y.Shape);
        Assert.Equal([0f, 1f, 2f, 0f, 3f, 4f, 0f, 0f, 0f], y.ToArray());
        Assert.Equal(new Shape(1, 1, 6, 6), new ZeroPad2d(1).Forward(On(Tensor.Ones(1, 1, 4, 4))).Shape);
    }

    [Fact]
    public void Unflatten_splits_a_dimension()
    {
        Assert.Equal(new Shape(5, 1, 28, 28), new Unflatten(1, 1, 28, 28).Forward(On(Tensor.Zeros(5, 784))).Shape);
        Assert.Throws<ShapeMismatchException>(() => F.Unflatten(On(Tensor.Zeros(5, 784)), 1, 2, 28, 28));
    }

    private static double Dot(Tensor a, Tensor b)
    {
        double sum = 0;
        var (u, v) = (a.ToArray(), b.ToArray());
        for (int i = 0; i < a.Numel; i++) sum += (double)u[i] * v[i];
        return sum;
    }

    /// <summary>The definition, one multiply-add per tap, in double.</summary>
    internal static Tensor DirectConv2d(Tensor x, Tensor w, Tensor? bias, int sh, int sw, int ph, int pw, int dh, int dw, int groups)
    {
        (x, w, bias) = (x.To(Device.Cpu), w.To(Device.Cpu), bias?.To(Device.Cpu)); // host copies, whatever the device
        int n = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int cout = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3], coutG = cout / groups;
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (wd + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        var y = Tensor.Zeros(n, cout, oh, ow);
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double sum = bias?.Data[o] ?? 0;
                        int group = o / coutG;
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    sum += (double)x.Data[((b * cin + group * cg + c) * h + iy) * wd + ix] * w.Data[((o * cg + c) * kh + i) * kw + j];
                                }
                        y.Data[((b * cout + o) * oh + oy) * ow + ox] = (float)sum;
                    }
        return y;
    }
}

public sealed class ConvolutionValueTestsOnCpu : ConvolutionValueTests
{
    protected override Device Device => Device.Cpu;
}

public sealed class ConvolutionValueTestsOnReference : ConvolutionValueTests
{
    protected override Device Device => Device.Reference;
}

/// <summary>The CPU's vectorised 2×2 stride-2 max pooling against the definition (the reference runs it too).</summary>
public abstract class MaxPoolFastPathTests : DeviceTests
{
    [Theory]
    [InlineData(24, 24)] // W2's map: three blocks of four outputs per row
    [InlineData(6, 10)]  // one block and one output left over
    [InlineData(5, 7)]   // odd sizes: the last row and column are dropped
    public void Two_by_two_stride_two_matches_the_definition_with_ties_and_nan(int h, int w)
    {
        var g = new Generator(3);
        var values = new float[2 * h * w];
        // Few distinct values, so windows hold ties; the first of equal maxima must win.
        for (int i = 0; i < values.Length; i++) values[i] = g.NextInt(4);
        values[w + 1] = float.NaN;
        var x = On(Tensor.FromArray(values, 2, 1, h, w)).RequireGrad();

        var y = F.MaxPool2d(x, 2);
        F.Sum(y).Backward();

        int oh = h / 2, ow = w / 2;
        var expectedGrad = new float[values.Length];
        for (int p = 0; p < 2; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    float best = float.NegativeInfinity;
                    int at = -1;
                    foreach (var (dy, dx) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
                    {
                        int i = p * h * w + (2 * oy + dy) * w + 2 * ox + dx;
                        if (at < 0 || values[i] > best || float.IsNaN(values[i]) && !float.IsNaN(best)) (best, at) = (values[i], i);
                    }
                    float got = y.Data[(p * oh + oy) * ow + ox];
                    Assert.True(float.IsNaN(best) ? float.IsNaN(got) : got == best, $"output ({p}, {oy}, {ox}): {got} vs {best}");
                    expectedGrad[at] += 1f;
                }
        Assert.Equal(expectedGrad, x.Grad!.ToArray());
    }
}

public sealed class MaxPoolFastPathTestsOnCpu : MaxPoolFastPathTests
{
    protected override Device Device => Device.Cpu;
}

public sealed class MaxPoolFastPathTestsOnReference : MaxPoolFastPathTests
{
    protected override Device Device => Device.Reference;
}
