using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// The packed, register-tiled GEMM against its scalar twin (summed in double), over every transpose combination and
/// sizes that leave partial micro-tiles, K blocks and M blocks. In the process-state collection because one test sets
/// <see cref="Threading.NumThreads"/>.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class GemmTests
{
    private static readonly int[] s_sizes = [1, 7, 17, 63, 65, 257];

    private static float[] Random(int length, ulong seed)
    {
        var g = new Generator(seed);
        var v = new float[length];
        for (int i = 0; i < v.Length; i++) v[i] = 2 * g.NextFloat() - 1;
        return v;
    }

    /// <summary>
    /// Checks C against the reference elementwise. A float32 sum of K products is off by at most about K·2⁻²⁴·Σ|a||b|,
    /// so the tolerance is that bound (doubled), from the reference run on |A| and |B|.
    /// </summary>
    private static void Check(bool transA, bool transB, int m, int n, int k, bool accumulate, int pad = 0)
    {
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = Random((transA ? k : m) * lda, seed: (ulong)(m * 1000 + k));
        var b = Random((transB ? n : k) * ldb, seed: (ulong)(k * 1000 + n + 7));
        var c0 = Random(m * ldc, seed: (ulong)(m + n));
        var c = (float[])c0.Clone();
        var expected = (float[])c0.Clone();
        var magnitude = c0.Select(MathF.Abs).ToArray();

        Gemm.Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        GemmReference.Multiply(transA, transB, m, n, k, a, lda, b, ldb, expected, ldc, accumulate);
        GemmReference.Multiply(transA, transB, m, n, k, a.Select(MathF.Abs).ToArray(), lda, b.Select(MathF.Abs).ToArray(), ldb,
            magnitude, ldc, accumulate);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int at = i * ldc + j;
                double tolerance = 2.0 * (k + 1) * Math.Pow(2, -24) * magnitude[at] + 1e-7;
                if (Math.Abs(c[at] - expected[at]) > tolerance)
                    Assert.Fail($"transA={transA} transB={transB} m={m} n={n} k={k} accumulate={accumulate} pad={pad}: " +
                                $"C[{i}, {j}] = {c[at]}, reference {expected[at]} (tolerance {tolerance:G3})");
            }
            for (int j = n; j < ldc; j++) // padding columns are never written
                Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
        }
    }

    public static TheoryData<bool, bool, bool> Variants()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                    data.Add(transA, transB, accumulate);
        return data;
    }

    public static TheoryData<string, bool, bool> KernelsAndTransposes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var kernel in Enum.GetValues<CpuIsa>())
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    data.Add(kernel.ToString(), transA, transB);
        return data;
    }

    /// <summary>Every micro-kernel (AVX-512, AVX2, portable 128-bit), forced on this thread, on every odd size.</summary>
    [Theory, MemberData(nameof(KernelsAndTransposes))]
    public void Every_kernel_matches_the_reference_for_all_odd_size_combinations(string kernel, bool transA, bool transB)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(kernel));
        foreach (int m in s_sizes)
            foreach (int n in s_sizes)
                foreach (int k in s_sizes)
                    Check(transA, transB, m, n, k, accumulate: (m + n + k) % 2 == 0);
    }

    public static TheoryData<string, bool> KernelsAndAccumulate()
    {
        var data = new TheoryData<string, bool>();
        foreach (var kernel in Enum.GetNames<CpuIsa>())
            foreach (bool accumulate in new[] { false, true })
                data.Add(kernel, accumulate);
        return data;
    }

    /// <summary>
    /// The few-rows path (batch-1 inference: M below 4, B read in place) with each instruction set's four-column dot
    /// products forced: K around every vector width and unrolled step (8, 16, 32 floats) and its tails, N with and
    /// without a tail of single columns, and B wider than its rows (a strided weight).
    /// </summary>
    [Theory, MemberData(nameof(KernelsAndAccumulate))]
    public void The_few_rows_path_matches_the_reference_for_every_kernel(string kernel, bool accumulate)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(kernel));
        foreach (int m in new[] { 1, 2, 3 })
            foreach (int n in new[] { 1, 4, 5, 8, 37, 130 })
                foreach (int k in new[] { 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 784 })
                {
                    Check(false, true, m, n, k, accumulate);
                    Check(true, true, m, n, k, accumulate, pad: 3);
                }
    }

    /// <summary>
    /// AVX2's last row panels of 1 to 4 rows run narrower kernels: their rows must be the bits the full 6-row kernel
    /// gives them (the same rows of a taller product, where they sit in a whole panel), and match the reference.
    /// </summary>
    [Theory]
    [InlineData(32, 48)]   // 5 panels and 2 rows, whole column panels: straight into C
    [InlineData(64, 48)]   // 10 panels and 4 rows
    [InlineData(28, 40)]   // 4 rows, a ragged last column panel: through the scratch tile
    [InlineData(31, 40)]   // 1 row
    [InlineData(33, 16)]   // 3 rows
    public void Avx2_short_last_row_panels_give_the_bits_of_whole_panels(int m, int n)
    {
        using var forced = Isa.Force(CpuIsa.Avx2);
        const int k = 37;
        int tall = (m + 5) / 6 * 6;
        var a = Random(tall * k, seed: 5);
        var b = Random(k * n, seed: 6);
        foreach (bool accumulate in new[] { false, true })
        {
            var start = Random(tall * n, seed: 7);
            var c = start[..(m * n)];
            var whole = (float[])start.Clone();
            Gemm.Multiply(false, false, m, n, k, a, k, b, n, c, n, accumulate);
            Gemm.Multiply(false, false, tall, n, k, a, k, b, n, whole, n, accumulate);
            for (int i = 0; i < m * n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(c[i]) == BitConverter.SingleToInt32Bits(whole[i]),
                    $"m={m} n={n} accumulate={accumulate}: C[{i / n}, {i % n}] = {c[i]}, in a whole panel {whole[i]}");
            Check(false, false, m, n, k, accumulate);
            Check(true, true, m, n, k, accumulate);
        }
    }

    /// <summary>
    /// Row-major A packed into the AVX2 tile's 6-row panels (eight k-steps at a time through registers, the rest one
    /// value at a time): every row count of a last panel, depths with and without a remainder, a K range that starts
    /// inside the row. Each value where the layout puts it, rows past the last zero.
    /// </summary>
    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(27)]
    public unsafe void Six_row_A_panels_hold_the_rows_in_the_packed_layout(int kc)
    {
        const int k0 = 3, lda = 41;
        foreach (int m in new[] { 1, 2, 4, 5, 6, 7, 12, 13, 17 })
        {
            var a = Random(m * lda, seed: (ulong)(m * 100 + kc));
            int panels = (m + 5) / 6;
            var packed = new float[panels * 6 * kc];
            Array.Fill(packed, float.NaN);
            fixed (float* pa = a, dst = packed) Gemm.PackAPanels(false, pa, lda, m, k0, kc, 6, dst);
            for (int p = 0; p < panels; p++)
                for (int kk = 0; kk < kc; kk++)
                    for (int r = 0; r < 6; r++)
                    {
                        int row = p * 6 + r;
                        float expected = row < m ? a[row * lda + k0 + kk] : 0f;
                        float got = packed[p * 6 * kc + kk * 6 + r];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(got),
                            $"m={m} kc={kc}: panel {p}, k {kk}, row {r} holds {got}, expected {expected}");
                    }
        }
    }

    [Theory, MemberData(nameof(Variants))]
    public void Matches_the_reference_with_a_K_longer_than_one_block(bool transA, bool transB, bool accumulate)
    {
        Check(transA, transB, 70, 45, 1500, accumulate); // K = 1500 runs as three 512-deep blocks
    }

    [Theory, MemberData(nameof(Variants))]
    public void Matches_the_reference_with_leading_dimensions_wider_than_the_matrix(bool transA, bool transB, bool accumulate)
    {
        Check(transA, transB, 17, 33, 65, accumulate, pad: 3);
        Check(transA, transB, 130, 7, 300, accumulate, pad: 5); // K spans two KC blocks
    }

    [Theory]
    [InlineData(200, 300, 600)] // several M blocks, N panels and K blocks
    [InlineData(1, 1000, 513)]  // a single row: parallel over N panels only
    [InlineData(97, 9, 1)]
    [InlineData(520, 130, 1100)] // tall with few columns (a recurrent weight gradient): rows split over the threads
    public void Matches_the_reference_on_larger_shapes(int m, int n, int k)
    {
        Check(false, true, m, n, k, accumulate: false);
        Check(true, false, m, n, k, accumulate: true);
    }

    [Fact]
    public void K_zero_clears_C_or_leaves_it_when_accumulating()
    {
        var c = new float[] { 1f, 2f, 3f, 4f };
        Gemm.Multiply(false, false, 2, 2, 0, [], 0, [], 2, c, 2, accumulate: true);
        Assert.Equal([1f, 2f, 3f, 4f], c);
        Gemm.Multiply(false, false, 2, 2, 0, [], 0, [], 2, c, 2, accumulate: false);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    public static TheoryData<string, bool, bool, int, int, int> ThreadCases()
    {
        var data = new TheoryData<string, bool, bool, int, int, int>();
        foreach (var kernel in Enum.GetNames<CpuIsa>())
        {
            data.Add(kernel, false, false, 200, 300, 600);
            data.Add(kernel, true, true, 130, 65, 1300);
            data.Add(kernel, false, true, 1, 1000, 513);
            data.Add(kernel, false, true, 3, 130, 1001); // few rows, dot products: column groups of four split over threads
            data.Add(kernel, false, true, 1, 34, 9216);  // few rows, a long K: just above the parallel threshold
            data.Add(kernel, true, false, 333, 17, 129);
            data.Add(kernel, true, false, 520, 130, 1100);
        }
        return data;
    }

    [Theory, MemberData(nameof(ThreadCases))]
    public void Results_are_bitwise_identical_for_one_and_two_threads(string kernel, bool transA, bool transB, int m, int n, int k)
    {
        using var forced = Isa.Force(Enum.Parse<CpuIsa>(kernel));
        var a = Random(m * k, 1);
        var b = Random(k * n, 2);
        float[] Run(int threads)
        {
            int saved = Threading.NumThreads;
            try
            {
                Threading.NumThreads = threads;
                var c = Random(m * n, 3);
                Gemm.Multiply(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, c, n, accumulate: true);
                return c;
            }
            finally
            {
                Threading.NumThreads = saved;
            }
        }
        var one = Run(1);
        var two = Run(2);
        var four = Run(4);
        Assert.True(one.AsSpan().SequenceEqual(two), "1 vs 2 threads differ");
        Assert.True(one.AsSpan().SequenceEqual(four), "1 vs 4 threads differ");
    }
}
