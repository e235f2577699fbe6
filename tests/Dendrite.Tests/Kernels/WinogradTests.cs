using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Winograd's F(2×2, 3×3) against the definition of convolution, forward and backward-data, on every output: ragged
/// last tiles, padding 0 to 2, rows of exactly 32, a single pixel.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class WinogradTests
{
    public static TheoryData<int, int, int, int, int, int> Geometries => new()
    {
        // batch, channels, height, width, out channels, padding
        { 2, 16, 26, 26, 32, 0 },   // the W2 net's second layer, narrower
        { 1, 17, 9, 11, 19, 1 },    // odd outputs: half-empty last tiles
        { 2, 20, 5, 30, 16, 2 },    // output rows of 32: whole vectors
        { 1, 16, 1, 1, 16, 1 },     // one pixel
        { 3, 5, 7, 4, 3, 1 },       // few channels (Fits refuses, the kernel still computes)
    };

    private static ConvGeometry Geometry(int batch, int channels, int height, int width, int outChannels, int padding) => new()
    {
        Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
        KernelH = 3, KernelW = 3, StrideH = 1, StrideW = 1, PadTop = padding, PadBottom = padding, PadLeft = padding,
        PadRight = padding, DilationH = 1, DilationW = 1, Groups = 1,
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public unsafe void Forward_matches_the_definition(int batch, int channels, int height, int width, int outChannels, int padding)
    {
        var g = Geometry(batch, channels, height, width, outChannels, padding);
        Assert.True(Winograd.Shape(g));
        var x = Tensor.Randn(new Shape(batch * channels * height * width), new Generator(1)).ToArray();
        var w = Tensor.Randn(new Shape(outChannels * channels * 9), new Generator(2)).ToArray();
        var b = Tensor.Randn(new Shape(outChannels), new Generator(3)).ToArray();
        var y = new float[batch * outChannels * g.OutSize];

        fixed (float* px = x, pw = w, pb = b, py = y) Winograd.Forward(g, px, pw, pb, py);

        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int oy = 0; oy < g.OutHeight; oy++)
                    for (int ox = 0; ox < g.OutWidth; ox++)
                    {
                        double sum = b[o];
                        for (int c = 0; c < channels; c++)
                            for (int ki = 0; ki < 3; ki++)
                                for (int kj = 0; kj < 3; kj++)
                                {
                                    int iy = oy - padding + ki, ix = ox - padding + kj;
                                    if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                                    sum += (double)w[((o * channels + c) * 3 + ki) * 3 + kj] * x[((n * channels + c) * height + iy) * width + ix];
                                }
                        float got = y[((n * outChannels + o) * g.OutHeight + oy) * g.OutWidth + ox];
                        Assert.True(Math.Abs(sum - got) <= 1e-4 * (1 + Math.Abs(sum)), $"y[{n},{o},{oy},{ox}] = {got}, expected {sum}");
                    }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public unsafe void Backward_data_matches_the_definition(int batch, int channels, int height, int width, int outChannels, int padding)
    {
        var g = Geometry(batch, channels, height, width, outChannels, padding);
        Assert.True(Winograd.Shape(Winograd.Transposed(g)));
        var dy = Tensor.Randn(new Shape(batch * outChannels * g.OutSize), new Generator(4)).ToArray();
        var w = Tensor.Randn(new Shape(outChannels * channels * 9), new Generator(5)).ToArray();
        var dx = new float[batch * channels * height * width];

        fixed (float* pdy = dy, pw = w, pdx = dx) Winograd.BackwardData(g, pdy, pw, pdx);

        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int iy = 0; iy < height; iy++)
                    for (int ix = 0; ix < width; ix++)
                    {
                        double sum = 0;
                        for (int o = 0; o < outChannels; o++)
                            for (int ki = 0; ki < 3; ki++)
                                for (int kj = 0; kj < 3; kj++)
                                {
                                    int oy = iy + padding - ki, ox = ix + padding - kj;
                                    if (oy < 0 || oy >= g.OutHeight || ox < 0 || ox >= g.OutWidth) continue;
                                    sum += (double)w[((o * channels + c) * 3 + ki) * 3 + kj] * dy[((n * outChannels + o) * g.OutHeight + oy) * g.OutWidth + ox];
                                }
                        float got = dx[((n * channels + c) * height + iy) * width + ix];
                        Assert.True(Math.Abs(sum - got) <= 1e-4 * (1 + Math.Abs(sum)), $"dx[{n},{c},{iy},{ix}] = {got}, expected {sum}");
                    }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public unsafe void Backward_weight_matches_the_definition(int batch, int channels, int height, int width, int outChannels, int padding)
    {
        var g = Geometry(batch, channels, height, width, outChannels, padding);
        var x = Tensor.Randn(new Shape(batch * channels * height * width), new Generator(9)).ToArray();
        var dy = Tensor.Randn(new Shape(batch * outChannels * g.OutSize), new Generator(10)).ToArray();
        var dw = new float[outChannels * channels * 9];

        fixed (float* px = x, pdy = dy, pdw = dw) Winograd.BackwardWeight(g, px, pdy, pdw);

        for (int o = 0; o < outChannels; o++)
            for (int c = 0; c < channels; c++)
                for (int ki = 0; ki < 3; ki++)
                    for (int kj = 0; kj < 3; kj++)
                    {
                        double sum = 0, scale = 0;
                        for (int n = 0; n < batch; n++)
                            for (int oy = 0; oy < g.OutHeight; oy++)
                                for (int ox = 0; ox < g.OutWidth; ox++)
                                {
                                    int iy = oy - padding + ki, ix = ox - padding + kj;
                                    if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                                    double term = (double)dy[((n * outChannels + o) * g.OutHeight + oy) * g.OutWidth + ox] * x[((n * channels + c) * height + iy) * width + ix];
                                    sum += term;
                                    scale += Math.Abs(term);
                                }
                        float got = dw[((o * channels + c) * 3 + ki) * 3 + kj];
                        // A sum of up to batch × 1,024 terms of either sign: the error scales with their magnitudes.
                        Assert.True(Math.Abs(sum - got) <= 1e-5 * (1 + scale), $"dw[{o},{c},{ki},{kj}] = {got}, expected {sum}");
                    }
    }

    [Theory]
    [InlineData((int)CpuIsa.Avx2)]      // 16-wide panels
    [InlineData((int)CpuIsa.Portable)]  // 8-wide panels: a tile row of 16 spans three
    public unsafe void Narrower_gemm_panels_give_the_same_convolution(int kernelIndex)
    {
        var kernel = (CpuIsa)kernelIndex;
        // Rows of 16 and of 13 tiles: the second starts mid-panel, so with 8-wide panels a row spans three. Output
        // channels of 19, 20, 25 and 32 leave the AVX2 tile a last block of 1 or 2 rows, split with the block before.
        foreach (var g in new[] { Geometry(2, 20, 5, 30, 16, 2), Geometry(1, 17, 9, 11, 19, 1), Geometry(1, 16, 6, 26, 16, 1),
            Geometry(2, 16, 10, 12, 32, 1), Geometry(2, 25, 6, 7, 20, 1) })
        {
            var x = Tensor.Randn(new Shape(g.Batch * g.ImageChannels * g.ImageSize), new Generator(11)).ToArray();
            var w = Tensor.Randn(new Shape(g.ColumnChannels * g.ImageChannels * 9), new Generator(12)).ToArray();
            var dy = Tensor.Randn(new Shape(g.Batch * g.ColumnChannels * g.OutSize), new Generator(13)).ToArray();
            float[] Run(CpuIsa? forced)
            {
                var y = new float[g.Batch * g.ColumnChannels * g.OutSize];
                var dx = new float[x.Length];
                using (forced is { } k ? Isa.Force(k) : null)
                    fixed (float* px = x, pw = w, py = y, pdy = dy, pdx = dx)
                    {
                        Winograd.Forward(g, px, pw, null, py);
                        Winograd.BackwardData(g, pdy, pw, pdx);
                    }
                return y.Concat(dx).ToArray();
            }

            var widest = Run(null);
            var narrow = Run(kernel);
            for (int i = 0; i < widest.Length; i++)
                Assert.True(Math.Abs(widest[i] - narrow[i]) <= 1e-4f * (1 + Math.Abs(widest[i])), $"value {i}: {narrow[i]} vs {widest[i]}");
        }
    }

    /// <summary>
    /// The output-channel blocks of the products: consecutive, covering every channel once, one panel of at most MR rows
    /// each; with the AVX2 tile (6 rows) a last block of 1 or 2 rows shares its rows evenly with the block before
    /// (the 2-row kernel keeps too few sums in flight), and the 8-row AVX-512 tile keeps whole panels.
    /// </summary>
    [Theory]
    [InlineData(6)]
    [InlineData(8)]
    public void Row_blocks_cover_the_channels_in_whole_panels_and_even_out_a_short_last_block(int mr)
    {
        for (int k = 1; k <= 40; k++)
        {
            int blocks = (k + mr - 1) / mr, next = 0;
            var rows = new int[blocks];
            for (int block = 0; block < blocks; block++)
            {
                var (start, count) = Winograd.RowBlock(k, mr, block);
                Assert.True(start == next && count >= 1 && count <= mr, $"k={k} MR={mr}: block {block} is [{start}, {start + count})");
                rows[block] = count;
                next = start + count;
            }
            Assert.Equal(k, next);
            int rest = k - (blocks - 1) * mr;
            int[] expected = mr == 6 && blocks >= 2 && rest <= 2
                ? [.. Enumerable.Repeat(6, blocks - 2), (6 + rest + 1) / 2, (6 + rest) / 2]
                : [.. Enumerable.Repeat(mr, blocks - 1), rest];
            Assert.Equal(expected, rows);
        }
    }

    [Fact]
    public void Only_3x3_stride_1_geometries_with_rows_of_at_most_32_are_taken()
    {
        var g = Geometry(4, 32, 26, 26, 64, 0);
        Assert.True(Winograd.Shape(g));
        Assert.False(Winograd.Shape(g with { StrideH = 2, StrideW = 2 }));
        Assert.False(Winograd.Shape(g with { KernelH = 5, KernelW = 5 }));
        Assert.False(Winograd.Shape(g with { DilationH = 2, DilationW = 2 }));
        Assert.False(Winograd.Shape(g with { Groups = 2, ImageChannels = 32 }));
        Assert.False(Winograd.Shape(g with { Width = 40 }));            // output rows of 38
        Assert.False(Winograd.Shape(g with { Width = 34 }));            // output rows of 32, but image rows past 32
        Assert.True(Winograd.Shape(g with { Width = 30, PadLeft = 2, PadRight = 2, PadTop = 2, PadBottom = 2 }));   // rows of 32 out
        Assert.False(Winograd.Shape(g with { PadTop = 3, PadBottom = 3, PadLeft = 3, PadRight = 3 }));
        Assert.False(Winograd.Shape(g with { PadTop = 1, PadBottom = 0 }));
        Assert.False(Winograd.Fits(g with { ImageChannels = 1 }));      // a first layer: im2col's few-taps path
        Assert.False(Winograd.Fits(g with { Batch = 1 }));              // one image: im2col split over the cores
        Assert.Equal(Winograd.Accelerated(Isa.Best), Winograd.Fits(g));   // AVX-512 or AVX2 + FMA
        using (Isa.Force(CpuIsa.Portable)) Assert.False(Winograd.Fits(g));
    }

    [Fact]
    public unsafe void One_image_alone_gives_the_bits_it_gives_in_a_batch()
    {
        // One image splits its channels over the cores; in a batch each image is one core's.
        var g = Geometry(3, 32, 12, 12, 24, 1);
        Assert.Equal(Winograd.FitsForward(g), Winograd.FitsForward(g with { Batch = 1 }));
        var x = Tensor.Randn(new Shape(g.Batch * g.ImageChannels * g.ImageSize), new Generator(21)).ToArray();
        var w = Tensor.Randn(new Shape(g.ColumnChannels * g.ImageChannels * 9), new Generator(22)).ToArray();
        var batch = new float[g.Batch * g.ColumnChannels * g.OutSize];
        fixed (float* px = x, pw = w, py = batch) Winograd.Forward(g, px, pw, null, py);
        int outSize = g.ColumnChannels * g.OutSize;
        for (int n = 0; n < g.Batch; n++)
        {
            var alone = new float[outSize];
            fixed (float* px = x, pw = w, py = alone) Winograd.Forward(g with { Batch = 1 }, px + n * g.ImageChannels * g.ImageSize, pw, null, py);
            Assert.Equal(batch.AsSpan(n * outSize, outSize).ToArray(), alone);
        }
    }

    [Fact]
    public unsafe void Weights_changed_in_place_between_calls_are_transformed_again()
    {
        // Without a pack handed in, each call transforms the weights it is given; an optimiser updates them in place,
        // at the same address, and the next call must see it.
        var g = Geometry(1, 16, 6, 6, 16, 1);
        var x = Tensor.Randn(new Shape(g.ImageChannels * g.ImageSize), new Generator(23)).ToArray();
        var w = Tensor.Randn(new Shape(g.ColumnChannels * g.ImageChannels * 9), new Generator(24)).ToArray();
        var first = new float[g.ColumnChannels * g.OutSize];
        var again = new float[first.Length];
        var changed = new float[first.Length];
        fixed (float* px = x, pw = w, p1 = first, p2 = again, p3 = changed)
        {
            Winograd.Forward(g, px, pw, null, p1);
            Winograd.Forward(g, px, pw, null, p2);
            w[5] = -0f - w[5];   // one tap, negated
            Winograd.Forward(g, px, pw, null, p3);
        }
        Assert.Equal(first, again);
        var doubled = new float[first.Length];
        for (int i = 0; i < w.Length; i++) w[i] *= 2;
        fixed (float* px = x, pw = w, p4 = doubled) Winograd.Forward(g, px, pw, null, p4);
        Assert.NotEqual(first, changed);
        for (int i = 0; i < changed.Length; i++) Assert.Equal(2 * changed[i], doubled[i], 1e-4f * (1 + Math.Abs(doubled[i])));
    }

    [Fact]
    public void A_batch_gives_the_same_bits_on_one_and_two_threads_in_all_three_directions()
    {
        var g = Geometry(5, 32, 12, 12, 24, 1);
        var x = Tensor.Randn(new Shape(5 * 32 * 144), new Generator(6)).ToArray();
        var w = Tensor.Randn(new Shape(24 * 32 * 9), new Generator(7)).ToArray();
        var dy = Tensor.Randn(new Shape(5 * 24 * g.OutSize), new Generator(8)).ToArray();
        (float[] Y, float[] Dx) Run(int threads)
        {
            int before = Threading.NumThreads;
            Threading.NumThreads = threads;
            try
            {
                var y = new float[5 * 24 * g.OutSize];
                var dx = new float[x.Length];
                var dw = new float[w.Length];
                Convolution.Forward(g, x, w, default, y);
                Convolution.BackwardData(g, dy, w, dx);
                Convolution.BackwardWeight(g, x, dy, dw);
                return (y, dx.Concat(dw).ToArray());
            }
            finally
            {
                Threading.NumThreads = before;
            }
        }

        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Y, two.Y);
        Assert.Equal(one.Dx, two.Dx);
    }

    [Fact]
    public unsafe void Prepacked_weights_give_the_bits_of_weights_transformed_in_the_call()
    {
        foreach (int batch in new[] { 1, 3 })
        {
            var g = Geometry(batch, 16, 10, 10, 24, 1);
            var x = Tensor.Randn(new Shape(g.Batch * g.ImageChannels * g.ImageSize), new Generator(31)).ToArray();
            var w = Tensor.Randn(new Shape(g.ColumnChannels * g.ImageChannels * 9), new Generator(32)).ToArray();
            var packed = Winograd.Pack(w, g.ColumnChannels, g.ImageChannels);
            var plain = new float[g.Batch * g.ColumnChannels * g.OutSize];
            var withPack = new float[plain.Length];
            fixed (float* px = x, pw = w, p1 = plain, p2 = withPack)
            {
                Winograd.Forward(g, px, pw, null, p1);
                Winograd.Forward(g, px, pw, null, p2, packed);
            }
            Assert.Equal(plain, withPack);
        }
    }
}
