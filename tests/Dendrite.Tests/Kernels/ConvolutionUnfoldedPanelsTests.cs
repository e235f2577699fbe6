using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Backends.Reference;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Batches through convolutions that need unfolding (strided, padded, dilated, wider than 1×1, more taps than the few-taps
/// path takes) unfold each image straight into the GEMM's panels and multiply by a weight packed once per thread. They
/// must match the reference backend on every instruction set, give the bits of the column matrix times
/// <see cref="Gemm.Multiply"/> (what the path replaced, and what training computed before), and not depend on the
/// thread count.
/// </summary>
[Collection(ProcessStateCollection.Name)]   // sets Threading.NumThreads
public class ConvolutionUnfoldedPanelsTests
{
    private static readonly (int Batch, int Channels, int Height, int Width, int OutChannels, int Kernel, int Stride, int Padding, int Dilation)[] Shapes =
    [
        (5, 32, 32, 32, 64, 3, 2, 1, 1),   // the W6 net's downsampling 3×3: 16 × 16 out
        (5, 32, 32, 32, 64, 1, 2, 0, 1),   // its 1×1 projection: a strided gather, no taps outside
        (4, 3, 32, 32, 32, 3, 1, 1, 1),    // a first layer over three channels: 27 taps
        (6, 17, 13, 11, 19, 3, 2, 1, 1),   // odd sizes, odd channel counts: rows of 6 and 7 taps at stride 2
        (5, 9, 19, 21, 7, 5, 1, 2, 1),     // 5×5, padding 2
        (5, 6, 15, 17, 11, 3, 2, 2, 2),    // dilation 2, stride 2, padding 2
        (5, 130, 6, 7, 9, 3, 1, 1, 1),     // K = 1,170: two K blocks
        (5, 20, 41, 37, 8, 1, 2, 0, 1),    // 1×1 stride 2 over odd widths: the vector gather's row ends
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var isa in Enum.GetNames<CpuIsa>())
            for (int i = 0; i < Shapes.Length; i++) data.Add(isa, i);
        return data;
    }

    private static ConvGeometry Geometry(int index)
    {
        var (batch, channels, height, width, outChannels, kernel, stride, padding, dilation) = Shapes[index];
        return new()
        {
            Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
            KernelH = kernel, KernelW = kernel, StrideH = stride, StrideW = stride, PadTop = padding, PadBottom = padding,
            PadLeft = padding, PadRight = padding, DilationH = dilation, DilationW = dilation, Groups = 1,
        };
    }

    private static float[] Random(int length, int seed) => Tensor.Randn(new Shape(length), new Generator((ulong)seed)).ToArray();

    private static float[] Run(ConvGeometry g, float[] x, float[] w, float[] b, int threads, float[]? residual = null, bool relu = false)
    {
        int saved = Threading.NumThreads;
        Threading.NumThreads = threads;
        try
        {
            var y = new float[g.Batch * g.ColumnChannels * g.OutSize];
            Convolution.Forward(g, x, w, b, y, residual: residual, relu: relu);
            return y;
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Batches_match_the_reference_and_the_column_matrix_product_to_the_bit(string isaName, int shape)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isaName));
        var g = Geometry(shape);
        var x = Random(g.Batch * g.ImageChannels * g.ImageSize, 1);
        var w = Random(g.ColumnChannels * g.PatchSize, 2);
        var b = Random(g.ColumnChannels, 3);
        var reference = new float[g.Batch * g.ColumnChannels * g.OutSize];
        ReferenceBackend.Instance.ConvForward(g, new CpuStorage(x), new CpuStorage(w), new CpuStorage(b), new CpuStorage(reference));

        var y = Run(g, x, w, b, threads: 2);
        float scale = 1 + reference.Max(MathF.Abs);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(reference[i] - y[i]) <= 1e-5f * scale, $"y[{i}] = {y[i]}, reference {reference[i]}");

        // Column matrix, GEMM, then the bias: one sample at a time, as the path computed before.
        var expected = new float[y.Length];
        int perSample = g.ColumnChannels * g.OutSize;
        for (int n = 0; n < g.Batch; n++)
        {
            var cols = new float[g.PatchSize * g.OutSize];
            Convolution.Im2Col(g, x.AsSpan(n * g.ImageChannels * g.ImageSize, g.ImageChannels * g.ImageSize), cols);
            var yn = expected.AsSpan(n * perSample, perSample);
            Gemm.Multiply(false, false, g.ColumnChannels, g.OutSize, g.PatchSize, w, g.PatchSize, cols, g.OutSize, yn, g.OutSize,
                accumulate: false);
            for (int i = 0; i < perSample; i++) yn[i] += b[i / g.OutSize];
        }
        Assert.Equal(Bits(expected), Bits(y));
    }

    [Theory]
    [InlineData(nameof(CpuIsa.Avx512), 0)]
    [InlineData(nameof(CpuIsa.Avx2), 0)]
    [InlineData(nameof(CpuIsa.Avx512), 3)]
    [InlineData(nameof(CpuIsa.Avx2), 5)]
    [InlineData(nameof(CpuIsa.Portable), 1)]
    public void The_thread_count_and_the_epilogue_change_no_bit(string isaName, int shape)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isaName));
        var g = Geometry(shape);
        var x = Random(g.Batch * g.ImageChannels * g.ImageSize, 4);
        var w = Random(g.ColumnChannels * g.PatchSize, 5);
        var r = Random(g.Batch * g.ColumnChannels * g.OutSize, 6);
        r[1] = float.NaN;
        var one = Run(g, x, w, [], threads: 1);
        Assert.Equal(Bits(one), Bits(Run(g, x, w, [], threads: 2)));
        Assert.Equal(Bits(one), Bits(Run(g, x, w, [], threads: 3)));

        // Residual and ReLU in the output pass: the separate ops' values (NaN kept, −0 and below to +0).
        var fused = Run(g, x, w, [], threads: 2, residual: r, relu: true);
        var separate = one.Select((v, i) => v + r[i]).Select(v => v > 0 || float.IsNaN(v) ? v : 0f).ToArray();
        Assert.Equal(Bits(separate), Bits(fused));
        Assert.Contains(fused, float.IsNaN);
    }

    /// <summary>The stride-2 gather each instruction set runs (16 and 8 lanes a step, then one by one), at starts and
    /// ends around the vector widths and a row end that stops the vector steps early.</summary>
    [Theory]
    [InlineData(nameof(CpuIsa.Avx512))]
    [InlineData(nameof(CpuIsa.Avx2))]
    [InlineData(nameof(CpuIsa.Portable))]
    public unsafe void The_stride_two_gather_takes_every_other_value_on_every_instruction_set(string isaName)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isaName));
        var src = Enumerable.Range(0, 101).Select(i => i * 1.5f - 7f).ToArray();
        foreach (var (start, end, limit) in new[] { (0, 50, 101), (0, 40, 101), (3, 47, 101), (0, 50, 40), (5, 29, 61), (7, 8, 101), (0, 0, 101) })
        {
            var dst = Enumerable.Repeat(float.NaN, 60).ToArray();
            fixed (float* s = src, d = dst) Convolution.CopyEveryOther(s, d, start, end, limit);
            for (int o = 0; o < 60; o++)
                if (o >= start && o < end) Assert.Equal(src[2 * o], dst[o]);
                else Assert.True(float.IsNaN(dst[o]), $"slot {o} outside [{start}, {end}) was written");
        }
    }

    private static uint[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToUInt32Bits)];
}
