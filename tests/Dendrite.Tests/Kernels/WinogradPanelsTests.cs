using Dendrite.Backends;
using Dendrite.Backends.Cpu;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// The weight gradient's own packing (rows of tiles turned into GEMM panels by 8×8 register transposes) and its
/// products: panel layout against the definition for every tile width and ragged sizes, and the products against
/// <see cref="Gemm.Multiply"/>'s bits on every instruction set, one K block and several; the fused layers' bias
/// gradient taken in the weight gradient's pass against its own pass.
/// </summary>
public class WinogradPanelsTests
{
    private static float[] Random(int length, int seed) => Tensor.Randn(new Shape(length), new Generator((ulong)seed)).ToArray();

    [Theory]
    [InlineData(6), InlineData(8), InlineData(16), InlineData(32)]
    public unsafe void Transposed_panels_hold_each_row_k_major_and_zero_past_the_last_row(int width)
    {
        foreach (int rows in new[] { 1, 5, 6, 7, 17, 33, 64 })
            foreach (int depth in new[] { 1, 7, 8, 9, 19, 144 })
            {
                int stride = depth + 3;
                var src = Random(rows * stride, rows * 100 + depth);
                int panels = (rows + width - 1) / width;
                var dst = new float[panels * width * depth + 1];
                dst[^1] = 42f;   // a sentinel just past the panels: nothing may write there
                fixed (float* ps = src, pd = dst) Winograd.PackTransposed(ps, stride, rows, depth, width, pd);
                for (int q = 0; q < panels; q++)
                    for (int kk = 0; kk < depth; kk++)
                        for (int r = 0; r < width; r++)
                        {
                            int row = q * width + r;
                            float expected = row < rows ? src[row * stride + kk] : 0f;
                            Assert.True(expected == dst[(q * width * depth) + kk * width + r],
                                $"width {width}, rows {rows}, depth {depth}: panel {q}, k {kk}, lane {r} = {dst[q * width * depth + kk * width + r]}, expected {expected}");
                        }
                Assert.Equal(42f, dst[^1]);
            }
    }

    public static TheoryData<string, int, int, int> Products()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (var isa in Enum.GetNames<CpuIsa>())
        {
            data.Add(isa, 64, 32, 144);    // the W2 net's second layer
            data.Add(isa, 19, 17, 37);     // ragged panels both ways
            data.Add(isa, 5, 33, 1100);    // two K blocks (more tiles than one block holds)
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Products))]
    public unsafe void Weight_products_give_the_bits_of_the_general_gemm(string isaName, int k, int c, int tiles)
    {
        int stride = tiles + 16;
        var m = Random(k * stride, 1);
        var v = Random(c * stride, 2);
        var start = Random(k * c, 3);
        var isa = Enum.Parse<CpuIsa>(isaName);
        using var forced = Isa.Force(isa);
        var (mr, nr) = Gemm.TileOf(isa);
        foreach (bool accumulate in new[] { false, true })
        {
            var expected = (float[])start.Clone();
            Gemm.Multiply(false, true, k, c, tiles, m, stride, v, stride, expected, c, accumulate);
            var actual = (float[])start.Clone();
            var packA = new float[Winograd.PackedRows(k, mr, tiles)];
            var packB = new float[Winograd.PackedRows(c, nr, tiles)];
            fixed (float* pm = m, pv = v, pc = actual, pa = packA, pb = packB)
                Winograd.MultiplyWeightProduct(isa, k, c, tiles, pm, pv, stride, pc, accumulate, pa, pb);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"{isaName} accumulate {accumulate}: [{i / c}, {i % c}] = {actual[i]}, Gemm.Multiply {expected[i]}");
        }
    }

    public static TheoryData<string, bool> IsasAndDropout()
    {
        var data = new TheoryData<string, bool>();
        foreach (var isa in Enum.GetNames<CpuIsa>())
        {
            data.Add(isa, false);
            data.Add(isa, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(IsasAndDropout))]
    public unsafe void Bias_gradient_taken_with_the_weight_gradient_gives_the_bits_of_its_own_pass(string isaName, bool dropout)
    {
        // 13 × 15 out: odd, so a last row and column no pooling window covers; 19 channels: ragged panels.
        var g = new ConvGeometry
        {
            Batch = 3, ImageChannels = 17, Height = 13, Width = 15, ColumnChannels = 19, KernelH = 3, KernelW = 3,
            StrideH = 1, StrideW = 1, PadTop = 1, PadBottom = 1, PadLeft = 1, PadRight = 1, DilationH = 1, DilationW = 1, Groups = 1,
        };
        var x = Random(g.Batch * g.ImageChannels * g.ImageSize, 1);
        var w = Random(g.ColumnChannels * g.PatchSize, 2);
        var b = Random(g.ColumnChannels, 3);
        int pooledLength = g.Batch * g.ColumnChannels * (g.OutHeight / 2) * (g.OutWidth / 2);
        var pooled = new float[pooledLength];
        var codes = new byte[Winograd.PooledCodeBytes(g)];
        var dPooled = Random(pooledLength, 4);
        var mask = Random(pooledLength, 5).Select(v => v > 0 ? 2f : 0f).ToArray();
        var (dwApart, dbApart, dwTogether, dbTogether) =
            (new float[w.Length], new float[b.Length], new float[w.Length], new float[b.Length]);
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(isaName));
        fixed (float* px = x, pw = w, pb = b, pp = pooled, pd = dPooled, pm = mask)
        fixed (byte* pc = codes)
        fixed (float* pdw1 = dwApart, pdb1 = dbApart, pdw2 = dwTogether, pdb2 = dbTogether)
        {
            Winograd.ForwardPooled(g, px, pw, pb, pp, pc, reluInput: false);
            var source = new Winograd.PooledGradient(pd, pc, dropout ? pm : null);
            Winograd.BackwardWeightPooled(g, px, source, pdw1, reluInput: false);
            Winograd.BiasGradientPooled(g, source, pdb1);
            Winograd.BackwardWeightPooled(g, px, source, pdw2, reluInput: false, pdb2);
        }
        Assert.Equal(dwApart.Select(BitConverter.SingleToInt32Bits), dwTogether.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(dbApart.Select(BitConverter.SingleToInt32Bits), dbTogether.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(dbApart, v => v != 0);   // some window open: the sums are not all trivially zero
    }
}
