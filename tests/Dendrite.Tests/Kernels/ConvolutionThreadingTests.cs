using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// With fewer samples than threads the forward convolution splits output positions over the threads and unfolds the
/// image straight into GEMM panels; it must give the serial path's values to the bit.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class ConvolutionThreadingTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Geometries => new()
    {
        // batch, channels, height, width, out channels, kernel, stride, padding, dilation
        { 1, 5, 9, 11, 7, 3, 1, 1, 1 },
        { 2, 5, 9, 11, 7, 3, 2, 2, 2 },
        { 1, 32, 26, 26, 64, 3, 1, 0, 1 },  // the W2 net's second layer at batch 1
        { 1, 130, 6, 7, 9, 3, 1, 1, 1 },     // K = 1,170: more than one K block
        { 1, 4, 1, 37, 6, 5, 3, 2, 1 },      // a 1-D signal
        { 1, 1, 28, 28, 32, 3, 1, 0, 1 },    // the W2 net's first layer at batch 1: few taps, output channels split
        { 1, 8, 30, 30, 41, 1, 1, 0, 1 },    // pointwise at batch 1: the image is the columns, 41 channels split
        { 1, 2, 29, 31, 37, 3, 1, 1, 1 },    // few taps at batch 1, 37 channels: blocks of four and a last block of one
    };

    [Theory]
    [InlineData(1, 6, 3, 40, 41)]    // 6 groups of one image channel, three filters each
    [InlineData(1, 4, 3, 40, 40)]    // four groups of three filters: task ranges of four or eight channels cut through groups
    public void Grouped_few_taps_with_fewer_samples_than_threads_match_the_serial_path(int batch, int groups, int perGroup, int height,
        int width)
    {
        // Each task unfolds the groups its channel range touches; a range that starts or ends inside a group takes part of it.
        var g = new ConvGeometry
        {
            Batch = batch, ImageChannels = groups, Height = height, Width = width, ColumnChannels = groups * perGroup,
            KernelH = 3, KernelW = 3, StrideH = 1, StrideW = 1, PadTop = 1, PadBottom = 1, PadLeft = 1, PadRight = 1,
            DilationH = 1, DilationW = 1, Groups = groups,
        };
        var image = Tensor.Randn(new Shape(batch * g.ImageChannels * g.ImageSize), new Generator(4)).ToArray();
        var weight = Tensor.Randn(new Shape(g.ColumnChannels * g.PatchSize), new Generator(5)).ToArray();
        var bias = Tensor.Randn(new Shape(g.ColumnChannels), new Generator(6)).ToArray();
        float[] Run(int threads)
        {
            int before = Threading.NumThreads;
            Threading.NumThreads = threads;
            try
            {
                var y = new float[batch * g.ColumnChannels * g.OutSize];
                Convolution.Forward(g, image, weight, bias, y);
                return y;
            }
            finally
            {
                Threading.NumThreads = before;
            }
        }

        var serial = Run(1);
        Assert.Equal(serial, Run(2));
        Assert.Equal(serial, Run(3));
        var reference = new float[serial.Length];
        Dendrite.Backends.Reference.ReferenceBackend.Instance.ConvForward(g, new CpuStorage(image), new CpuStorage(weight),
            new CpuStorage(bias), new CpuStorage(reference));
        for (int i = 0; i < serial.Length; i++)
            Assert.True(Math.Abs(reference[i] - serial[i]) <= 1e-4f * (1 + Math.Abs(reference[i])), $"y[{i}] = {serial[i]}, reference {reference[i]}");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Forward_with_fewer_samples_than_threads_matches_the_serial_path(
        int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding, int dilation)
    {
        int kh = height == 1 ? 1 : kernel, ph = height == 1 ? 0 : padding;
        var g = new ConvGeometry
        {
            Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
            KernelH = kh, KernelW = kernel, StrideH = height == 1 ? 1 : stride, StrideW = stride, PadTop = ph, PadBottom = ph,
            PadLeft = padding, PadRight = padding, DilationH = height == 1 ? 1 : dilation, DilationW = dilation, Groups = 1,
        };
        var image = Tensor.Randn(new Shape(batch * channels * height * width), new Generator(1)).ToArray();
        var weight = Tensor.Randn(new Shape(outChannels * channels * kh * kernel), new Generator(2)).ToArray();
        var bias = Tensor.Randn(new Shape(outChannels), new Generator(3)).ToArray();
        float[] Run(int threads)
        {
            int before = Threading.NumThreads;
            Threading.NumThreads = threads;
            try
            {
                var y = new float[batch * outChannels * g.OutSize];
                Convolution.Forward(g, image, weight, bias, y);
                return y;
            }
            finally
            {
                Threading.NumThreads = before;
            }
        }

        var serial = Run(1);
        Assert.Equal(serial, Run(3));
        Assert.Equal(serial, Run(4));
        // And the serial path itself agrees with the definition at a few outputs.
        for (int o = 0; o < serial.Length; o += 7)
        {
            int n = o / (outChannels * g.OutSize), co = o / g.OutSize % outChannels, pos = o % g.OutSize;
            int oy = pos / g.OutWidth, ox = pos % g.OutWidth;
            double sum = bias[co];
            for (int c = 0; c < channels; c++)
                for (int ki = 0; ki < kh; ki++)
                    for (int kj = 0; kj < kernel; kj++)
                    {
                        int iy = oy * g.StrideH - ph + ki * g.DilationH, ix = ox * stride - padding + kj * dilation;
                        if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                        sum += (double)weight[((co * channels + c) * kh + ki) * kernel + kj] * image[((n * channels + c) * height + iy) * width + ix];
                    }
            Assert.True(Math.Abs(sum - serial[o]) <= 1e-4 * (1 + Math.Abs(sum)), $"output {o}: {serial[o]} vs {sum}");
        }
    }
}
