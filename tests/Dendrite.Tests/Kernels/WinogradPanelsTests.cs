using Dendrite.Backends.Cpu;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// The weight gradient's own packing (rows of tiles turned into GEMM panels by 8×8 register transposes) and its
/// products: panel layout against the definition for every tile width and ragged sizes, and the products against
/// <see cref="Gemm.Multiply"/>'s bits on every instruction set, one K block and several.
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
}
