using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Backends.Reference;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Every instruction-set path of the convolution kernels (Winograd's transforms on 512- and 256-bit vectors, the
/// few-taps direct convolution) forced in turn and checked against the reference backend: odd sizes, padding 0 to 2,
/// batch 1, channel counts that are no multiple of a vector, tile rows whose second 8-lane half is partly empty.
/// In the process-state collection because one test sets <see cref="Threading.NumThreads"/>.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class ConvolutionIsaTests
{
    private static readonly (int Batch, int Channels, int Height, int Width, int OutChannels, int Padding)[] Shapes =
    [
        (1, 1, 5, 5, 3, 0),       // 3 × 3 out: one tile row of two tiles, the second half-empty
        (2, 3, 7, 9, 17, 1),      // 7 × 9: 5 tiles a row, odd last row and column
        (1, 17, 9, 11, 19, 1),    // batch 1: the channels split over the cores
        (3, 33, 6, 30, 16, 2),    // rows of 32 out: two whole 8-lane halves
        (2, 16, 19, 21, 33, 1),   // 19 × 21 out: 11 tiles a row, the second half holds three
        (2, 17, 28, 28, 5, 0),    // the W2 net's 26 × 26 output, 13 tiles a row
        (1, 1, 28, 28, 32, 0),    // the W2 net's first layer at batch 1: few taps, output channels split over the cores
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var isa in Enum.GetNames<CpuIsa>())
            for (int i = 0; i < Shapes.Length; i++) data.Add(isa, i);
        return data;
    }

    private static ConvGeometry Geometry(int index, int kernel = 3)
    {
        var (batch, channels, height, width, outChannels, padding) = Shapes[index];
        return new()
        {
            Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
            KernelH = kernel, KernelW = kernel, StrideH = 1, StrideW = 1, PadTop = padding, PadBottom = padding,
            PadLeft = padding, PadRight = padding, DilationH = 1, DilationW = 1, Groups = 1,
        };
    }

    private static float[] Random(int length, int seed) => Tensor.Randn(new Shape(length), new Generator((ulong)seed)).ToArray();

    /// <summary>Each value within a few float32 roundings of the reference, scaled by the largest reference value
    /// (the transforms add and subtract terms larger than the sums they leave).</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        float scale = 1 + expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * scale, $"{what}[{i}] = {actual[i]}, reference {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void Winograd_matches_the_reference_backend_in_all_three_directions(string isaName, int shape)
    {
        var g = Geometry(shape);
        var x = Random(g.Batch * g.ImageChannels * g.ImageSize, 1);
        var w = Random(g.ColumnChannels * g.PatchSize, 2);
        var b = Random(g.ColumnChannels, 3);
        var dy = Random(g.Batch * g.ColumnChannels * g.OutSize, 4);
        var reference = ReferenceBackend.Instance;
        var y = new float[dy.Length];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        reference.ConvForward(g, new CpuStorage(x), new CpuStorage(w), new CpuStorage(b), new CpuStorage(y));
        reference.ConvBackwardData(g, new CpuStorage(dy), new CpuStorage(w), new CpuStorage(dx));
        reference.ConvBackwardWeight(g, new CpuStorage(x), new CpuStorage(dy), new CpuStorage(dw));

        var yFast = new float[y.Length];
        var dxFast = new float[dx.Length];
        var dwFast = new float[dw.Length];
        using (Isa.Force(Enum.Parse<CpuIsa>(isaName)))
            fixed (float* px = x, pw = w, pb = b, pdy = dy, py = yFast, pdx = dxFast, pdw = dwFast)
            {
                // The kernel computes every geometry Shape accepts, whatever Fits says of its channel counts.
                Assert.True(Winograd.Shape(g) && Winograd.Shape(Winograd.Transposed(g)));
                Winograd.Forward(g, px, pw, pb, py);
                Winograd.BackwardData(g, pdy, pw, pdx);
                Winograd.BackwardWeight(g, px, pdy, pdw);
            }

        AssertClose(y, yFast, "y");
        AssertClose(dx, dxFast, "dx");
        AssertClose(dw, dwFast, "dw");
    }

    /// <summary>
    /// The few-taps weight gradient (a one-channel first layer: per output channel, every tap's sum over the
    /// positions in one pass) against the reference: 4, 9 (the nine-sum path) and 16 taps, position counts with and
    /// without a tail past the last 8-lane vector and with no whole vector; the same bits on one thread and on two.
    /// </summary>
    [Theory]
    [InlineData(2, 28, 28, 32)]   // 4 taps, 27 × 27 positions: a 1-position tail
    [InlineData(3, 28, 28, 32)]   // 9 taps, the W2 net's first layer: 676 positions, a 4-position tail
    [InlineData(3, 4, 5, 7)]      // 9 taps, 6 positions: the tail alone
    [InlineData(4, 11, 9, 5)]     // 16 taps, 48 positions: whole vectors only
    public void Few_taps_weight_gradient_matches_the_reference_on_any_thread_count(int kernel, int height, int width, int outChannels)
    {
        var g = new ConvGeometry
        {
            Batch = 5, ImageChannels = 1, Height = height, Width = width, ColumnChannels = outChannels, KernelH = kernel,
            KernelW = kernel, StrideH = 1, StrideW = 1, DilationH = 1, DilationW = 1, Groups = 1,
        };
        var x = Random(g.Batch * g.ImageSize, 21);
        var dy = Random(g.Batch * g.ColumnChannels * g.OutSize, 22);
        var dw = new float[g.ColumnChannels * g.PatchSize];
        ReferenceBackend.Instance.ConvBackwardWeight(g, new CpuStorage(x), new CpuStorage(dy), new CpuStorage(dw));
        var byThreads = new List<float[]>();
        int before = Threading.NumThreads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Threading.NumThreads = threads;
                var fast = new float[dw.Length];
                Convolution.BackwardWeight(g, x, dy, fast);
                AssertClose(dw, fast, $"dw ({threads} threads)");
                byThreads.Add(fast);
            }
        }
        finally
        {
            Threading.NumThreads = before;
        }
        for (int i = 0; i < dw.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(byThreads[0][i]) == BitConverter.SingleToInt32Bits(byThreads[1][i]),
                $"dw[{i}]: {byThreads[0][i]} on one thread, {byThreads[1][i]} on two");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_convolution_entry_points_match_the_reference_backend(string isaName, int shape)
    {
        // Whichever path the forced set picks (Winograd, few taps, im2col), through the public kernel entry points.
        var g = Geometry(shape);
        var x = Random(g.Batch * g.ImageChannels * g.ImageSize, 5);
        var w = Random(g.ColumnChannels * g.PatchSize, 6);
        var b = Random(g.ColumnChannels, 7);
        var dy = Random(g.Batch * g.ColumnChannels * g.OutSize, 8);
        var reference = ReferenceBackend.Instance;
        var y = new float[dy.Length];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        reference.ConvForward(g, new CpuStorage(x), new CpuStorage(w), new CpuStorage(b), new CpuStorage(y));
        reference.ConvBackwardData(g, new CpuStorage(dy), new CpuStorage(w), new CpuStorage(dx));
        reference.ConvBackwardWeight(g, new CpuStorage(x), new CpuStorage(dy), new CpuStorage(dw));

        var yFast = new float[y.Length];
        var dxFast = new float[dx.Length];
        var dwFast = new float[dw.Length];
        using (Isa.Force(Enum.Parse<CpuIsa>(isaName)))
        {
            Convolution.Forward(g, x, w, b, yFast);
            Convolution.BackwardData(g, dy, w, dxFast);
            Convolution.BackwardWeight(g, x, dy, dwFast);
        }

        AssertClose(y, yFast, "y");
        AssertClose(dx, dxFast, "dx");
        AssertClose(dw, dwFast, "dw");
    }

    [Theory]
    [InlineData(1, 1, 28, 28, 32)]    // the W2 net's first layer: 9 taps, 676 positions (a 4-position tail on 16 lanes)
    [InlineData(2, 1, 5, 7, 3)]       // 15 positions: no whole 16-lane vector, one 8-lane one
    [InlineData(3, 1, 4, 4, 17)]      // 4 positions: scalars only
    public void Few_taps_give_the_same_bits_on_every_path(int batch, int channels, int height, int width, int outChannels)
    {
        var g = new ConvGeometry
        {
            Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
            KernelH = 3, KernelW = 3, StrideH = 1, StrideW = 1, DilationH = 1, DilationW = 1, Groups = 1,
        };
        var x = Random(g.Batch * g.ImageChannels * g.ImageSize, 9);
        var w = Random(g.ColumnChannels * g.PatchSize, 10);
        var reference = new float[g.Batch * g.ColumnChannels * g.OutSize];
        ReferenceBackend.Instance.ConvForward(g, new CpuStorage(x), new CpuStorage(w), null, new CpuStorage(reference));

        int[]? first = null;
        foreach (var isa in Enum.GetValues<CpuIsa>())
        {
            var y = new float[reference.Length];
            using (Isa.Force(isa)) Convolution.Forward(g, x, w, default, y);
            AssertClose(reference, y, $"y ({isa})");
            // One sum per output, taps in order with fused multiply-adds, whatever the vector width.
            var bits = y.Select(BitConverter.SingleToInt32Bits).ToArray();
            if (first is null) first = bits;
            else Assert.Equal(first, bits);
        }
    }

    [Theory]
    [InlineData(1, 1, 28, 28, 32)]    // four output channels at a time, no tail
    [InlineData(2, 1, 6, 9, 7)]       // 28 positions: one 16-lane vector, a 12-position tail; 7 channels: one block of four and three alone
    [InlineData(1, 2, 5, 5, 5)]       // 18 taps are too many: the GEMM path, for contrast
    public void Few_taps_add_the_bias_as_a_separate_pass_would_on_every_path(int batch, int channels, int height, int width, int outChannels)
    {
        // The bias goes into each sum as it is stored; it must give what adding it afterwards gives, to the bit, on every
        // instruction set (and so at every batch size and thread count, which only move where a sum is computed).
        var g = new ConvGeometry
        {
            Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
            KernelH = 3, KernelW = 3, StrideH = 1, StrideW = 1, DilationH = 1, DilationW = 1, Groups = 1,
        };
        var x = Random(g.Batch * g.ImageChannels * g.ImageSize, 11);
        var w = Random(g.ColumnChannels * g.PatchSize, 12);
        var b = Random(g.ColumnChannels, 13);
        foreach (var isa in Enum.GetValues<CpuIsa>())
        {
            var withBias = new float[g.Batch * g.ColumnChannels * g.OutSize];
            var thenAdded = new float[withBias.Length];
            using (Isa.Force(isa))
            {
                Convolution.Forward(g, x, w, b, withBias);
                Convolution.Forward(g, x, w, default, thenAdded);
            }
            for (int i = 0; i < thenAdded.Length; i++) thenAdded[i] += b[i / g.OutSize % g.ColumnChannels];
            Assert.Equal(thenAdded.Select(BitConverter.SingleToInt32Bits), withBias.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void The_start_up_choice_follows_the_processor_and_picks_avx2_without_avx512()
    {
        var expected = Vector512.IsHardwareAccelerated ? CpuIsa.Avx512 : Vector256.IsHardwareAccelerated ? CpuIsa.Avx2 : CpuIsa.Portable;
        Assert.Equal(expected, Isa.Best);
        bool avx2 = Avx2.IsSupported && Fma.IsSupported;
        // .NET 10 turns AVX-512 off with DOTNET_EnableAVX512=0 (the older DOTNET_EnableAVX512F is ignored).
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0" && avx2) Assert.Equal(CpuIsa.Avx2, Isa.Best);
        // The W2 net's second layer takes Winograd on either vector width, on 256-bit vectors without AVX-512.
        var w2 = new ConvGeometry
        {
            Batch = 64, ImageChannels = 32, Height = 26, Width = 26, ColumnChannels = 64, KernelH = 3, KernelW = 3,
            StrideH = 1, StrideW = 1, DilationH = 1, DilationW = 1, Groups = 1,
        };
        Assert.Equal(Avx512F.IsSupported || avx2, Winograd.Fits(w2));
        Assert.Equal(!Avx512F.IsSupported && avx2, Winograd.Narrow(Isa.Best));
    }

    [Fact]
    public void Forcing_a_set_picks_its_path()
    {
        var w2 = new ConvGeometry
        {
            Batch = 64, ImageChannels = 32, Height = 26, Width = 26, ColumnChannels = 64, KernelH = 3, KernelW = 3,
            StrideH = 1, StrideW = 1, DilationH = 1, DilationW = 1, Groups = 1,
        };
        bool avx2 = Avx2.IsSupported && Fma.IsSupported, avx512 = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        using (Isa.Force(CpuIsa.Avx2))
        {
            Assert.Equal(CpuIsa.Avx2, Isa.Current);
            Assert.Equal(avx2, Winograd.Fits(w2));
            Assert.Equal(avx2, Winograd.Narrow(Isa.Current));
        }
        using (Isa.Force(CpuIsa.Avx512))
        {
            Assert.Equal(avx512, Winograd.Fits(w2));
            Assert.Equal(!avx512 && avx2, Winograd.Narrow(Isa.Current));   // without AVX-512, its transforms run on AVX2
        }
        using (Isa.Force(CpuIsa.Portable)) Assert.False(Winograd.Fits(w2));   // im2col
        Assert.Equal(Isa.Best, Isa.Current);   // each scope restores the choice
    }
}
