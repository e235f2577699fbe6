using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Backends.Reference;

namespace Dendrite.Tests.Backends;

/// <summary>
/// Acceptance 2 of issue 15: the CPU backend (SIMD, threads, Winograd, packed GEMM) and the scalar reference backend
/// agree on every <see cref="Backend"/> method over awkward shapes: sizes 1, 7, 17, 63 and 65 (around the vector
/// widths), odd spatial sizes, batch 1 and broadcasting.
/// </summary>
/// <remarks>
/// Tolerance: float32 rounds each operation by at most u = 2⁻²⁴ ≈ 6e-8 relative, and a sum of k terms, accumulated in
/// any order, typically by √k·u times the terms' size. The bound |cpu − ref| ≤ 1e-5·(1 + |ref|)·√k leaves a factor of
/// about 100 for transcendental functions' few ulps and Winograd's transforms, and no more: a wrong index or a
/// dropped term is off by a whole term. Methods that only move, select or compare values must agree to the bit.
/// </remarks>
public partial class BackendAgreementTests
{
    private const double Tolerance = AgreementCase.Tolerance;
    private const ulong Seed = AgreementCase.Seed;

    private static readonly Backend Cpu = CpuBackend.Instance;
    private static readonly Backend Reference = ReferenceBackend.Instance;

    [Theory, MemberData(nameof(Cases))]
    public void Cpu_and_reference_agree(AgreementCase c) => c.AssertAgree(Cpu, Reference);

    public static TheoryData<AgreementCase> Cases
    {
        get
        {
            var data = new TheoryData<AgreementCase>();
            IEnumerable<AgreementCase>[] groups =
            [
                Memory(), UnaryCases(), BinaryCases(), Reductions(), Products(), Convolutions(), Pooling(),
                Resampling(), Normalisation(), Losses(), Dropout(), Recurrent(), Optimisers(), Indexing(),
            ];
            foreach (var c in groups.SelectMany(g => g)) data.Add(c);
            return data;
        }
    }

    [Fact]
    public void Storages_round_trip_and_the_fused_convolution_is_declined()
    {
        foreach (var backend in new[] { Cpu, Reference })
        {
            Assert.True(backend.IsHost);
            Assert.Equal(65, backend.Allocate(65).Length);
            var values = Normal(new Generator(Seed), 17);
            var back = new float[17];
            backend.Download(backend.Upload(values), back);
            Assert.Equal(values, back);
        }
        Assert.Equal("reference", Reference.Name);
        Assert.Same(Reference, Device.Reference.Backend);
        var g = new ConvGeometry
        {
            Batch = 2, ImageChannels = 16, Height = 8, Width = 8, ColumnChannels = 16, KernelH = 3, KernelW = 3,
            StrideH = 1, StrideW = 1, PadTop = 1, PadBottom = 1, PadLeft = 1, PadRight = 1, DilationH = 1,
            DilationW = 1, Groups = 1,
        };
        Assert.False(Reference.FitsConvReluMaxPool(g));
        Assert.Throws<NotSupportedException>(() => Reference.ConvReluMaxPoolCodeLength(g));
    }

    [Fact]
    public void FindOutside_names_the_same_first_offender()
    {
        float[][] inputs =
        [
            [0f, 0.5f, 1f],
            [0f, 1.5f, -1f],
            [0.2f, float.NaN, 2f],
            [-0.1f],
            [],
        ];
        foreach (var values in inputs)
        {
            int expected = Cpu.FindOutside(Cpu.Upload(values), 0f, 1f);
            Assert.Equal(expected, Reference.FindOutside(Reference.Upload(values), 0f, 1f));
        }
        Assert.Equal(1, Reference.FindOutside(Reference.Upload([0.2f, float.NaN, 2f]), 0f, 1f));
        Assert.Equal(-1, Reference.FindOutside(Reference.Upload([0f, 0.5f, 1f]), 0f, 1f));
    }

    // ------------------------------------------------------------------ values

    private static float[] Normal(Generator g, int n, float scale = 1f)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = scale * g.NextNormal();
        return values;
    }

    private static float[] Uniform(Generator g, int n, float lo, float hi)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = lo + (hi - lo) * g.NextFloat();
        return values;
    }

    /// <summary>An output buffer: NaN until written.</summary>
    private static float[] Unwritten(int n) => Enumerable.Repeat(float.NaN, n).ToArray();

    private static float[] Constant(int n, float value) => Enumerable.Repeat(value, n).ToArray();

    /// <summary>Whole numbers below <paramref name="classes"/>, as the backends take indices.</summary>
    private static float[] Indices(Generator g, int n, int classes)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = g.NextInt(classes);
        return values;
    }

    /// <summary>Few distinct values, so that maxima tie, and a NaN every <paramref name="nanEvery"/> places.</summary>
    private static float[] Ties(Generator g, int n, int nanEvery)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = i % nanEvery == nanEvery - 1 ? float.NaN : g.NextInt(4) - 1.5f;
        return values;
    }

    private static string Dims(int[] shape) => "[" + string.Join(",", shape) + "]";

    private static int Numel(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static readonly int[] Sizes = [1, 7, 17, 63, 65];

    // ------------------------------------------------------------------ memory

    private static IEnumerable<AgreementCase> Memory()
    {
        foreach (int n in Sizes)
        {
            yield return new($"Copy {n}", g => [Normal(g, n), Unwritten(n)],
                (b, s) => b.Copy(s[0], s[1])) { Exact = true };
            yield return new($"Fill {n}", g => [Unwritten(n)], (b, s) => b.Fill(s[0], -2.5f)) { Exact = true };
            yield return new($"Accumulate {n}", g => [Normal(g, n), Normal(g, n)], (b, s) => b.Accumulate(s[0], s[1]))
            {
                Exact = true,
            };
            yield return new($"RepeatRows {n}×7", g => [Normal(g, n), Unwritten(7 * n)],
                (b, s) => b.RepeatRows(s[0], 7, s[1]))
            {
                Exact = true,
            };
        }
        // Megabytes: the CPU splits these rows over the threads.
        yield return new("RepeatRows 517×700", g => [Normal(g, 517), Unwritten(517 * 700)],
            (b, s) => b.RepeatRows(s[0], 700, s[1])) { Exact = true };
        yield return new("CopyBlocks 700×400 strided", g => [Normal(g, 3 + 699 * 411 + 400), Unwritten(1 + 699 * 403 + 400)],
            (b, s) => b.CopyBlocks(s[0], 3, 411, s[1], 1, 403, 400, 700)) { Exact = true };
        // Concatenation's blocks: 5 blocks of 7 read at stride 17 from offset 3, written at stride 9 from offset 2.
        yield return new("CopyBlocks 5×7 strided", g => [Normal(g, 3 + 4 * 17 + 7), Unwritten(2 + 4 * 9 + 7)],
            (b, s) => b.CopyBlocks(s[0], 3, 17, s[1], 2, 9, 7, 5)) { Exact = true };
        yield return new("CopyBlocks 1×65", g => [Normal(g, 65), Unwritten(65)],
            (b, s) => b.CopyBlocks(s[0], 0, 65, s[1], 0, 65, 65, 1)) { Exact = true };
        yield return new("FillBlocks 7×17", g => [Unwritten(7 * 17)],
            (b, s) => b.FillBlocks([1f, 0f, 2.5f, -1f, 0f, 3f, 7f], 17, s[0])) { Exact = true };

        // The last four keep trailing axes in place (the CPU copies them as runs: 6, 4·5, below its threshold 2, and
        // 60 in a tensor big enough to split the runs over the threads).
        int[][] shapes = [[7, 1, 5], [2, 3, 4, 5], [17], [3, 17, 2], [3, 5, 6], [2, 3, 4, 5], [4, 3, 2], [64, 70, 60]];
        int[][] perms = [[2, 0, 1], [3, 1, 0, 2], [0], [1, 2, 0], [1, 0, 2], [1, 0, 2, 3], [1, 0, 2], [1, 0, 2]];
        for (int i = 0; i < shapes.Length; i++)
        {
            var (shape, perm) = (shapes[i], perms[i]);
            yield return new($"Permute {Dims(shape)} by {Dims(perm)}",
                g => [Normal(g, Numel(shape)), Unwritten(Numel(shape))],
                (b, s) => b.Permute(s[0], shape, perm, s[1])) { Exact = true };
        }

        // Pads before each dimension; the padded shape adds some after as well.
        int[][] inner = [[3, 7, 5], [1, 17], [65], [2, 1, 3, 4]];
        int[][] before = [[1, 0, 2], [0, 3], [7], [1, 1, 0, 2]];
        int[][] padded = [[5, 9, 8], [2, 21], [73], [3, 3, 3, 7]];
        for (int i = 0; i < inner.Length; i++)
        {
            var (x, at, y) = (inner[i], before[i], padded[i]);
            yield return new($"PadInto {Dims(x)} into {Dims(y)}", g => [Normal(g, Numel(x)), Constant(Numel(y), 0.5f)],
                (b, s) => b.PadInto(s[0], x, at, s[1], y)) { Exact = true };
            yield return new($"UnpadFrom {Dims(y)} to {Dims(x)}", g => [Normal(g, Numel(y)), Unwritten(Numel(x))],
                (b, s) => b.UnpadFrom(s[0], y, at, s[1], x)) { Exact = true };
        }

        // Embedding rows with repeats; row 3 is the padding index that ScatterAddRows skips.
        int[] rows = [0, 3, 6, 3, 1, 6, 6, 2, 0];
        yield return new("GatherRows 9 of 7×17", g => [Normal(g, 7 * 17), Unwritten(9 * 17)],
            (b, s) => b.GatherRows(s[0], 17, rows, s[1])) { Exact = true };
        yield return new("ScatterAddRows 9 into 7×17 skipping 3", g => [Normal(g, 9 * 17), Unwritten(7 * 17)],
            (b, s) => b.ScatterAddRows(s[0], 17, rows, 3, s[1])) { Terms = 3 };
        yield return new("ScatterAddRows 9 into 7×1 skipping none", g => [Normal(g, 9), Unwritten(7)],
            (b, s) => b.ScatterAddRows(s[0], 1, rows, -1, s[1])) { Terms = 3 };
        foreach (int n in new[] { 1, 17, 65 })
            yield return new($"OneHot {n} of 7 classes", g => [Indices(g, n, 7), Unwritten(n * 7)],
                (b, s) => b.OneHot(s[0], 7, s[1])) { Exact = true };
    }

    // ------------------------------------------------------------------ elementwise

    /// <summary>Each unary op with its arguments and where its inputs are drawn.</summary>
    private static readonly (UnaryOp Op, float A, float B, float C, float Lo, float Hi)[] UnaryOps =
    [
        (UnaryOp.Neg, 0, 0, 0, -3, 3),
        (UnaryOp.Exp, 0, 0, 0, -5, 5),
        (UnaryOp.Log, 0, 0, 0, 0.01f, 10),
        (UnaryOp.Sqrt, 0, 0, 0, 0, 10),
        (UnaryOp.Abs, 0, 0, 0, -3, 3),
        (UnaryOp.Sigmoid, 0, 0, 0, -8, 8),
        (UnaryOp.Tanh, 0, 0, 0, -5, 5),
        (UnaryOp.Relu, 0, 0, 0, -3, 3),
        (UnaryOp.LeakyRelu, 0.2f, 0, 0, -3, 3),
        (UnaryOp.Elu, 0.5f, 0, 0, -3, 3),
        (UnaryOp.Softplus, 1, 20, 0, -10, 10),
        (UnaryOp.Softplus, 2, 1, 0, -3, 3),
        (UnaryOp.Gelu, 0, 0, 0, -4, 4),
        (UnaryOp.GeluTanh, 0, 0, 0, -4, 4),
        (UnaryOp.Silu, 0, 0, 0, -6, 6),
        (UnaryOp.Square, 0, 0, 0, -3, 3),
        (UnaryOp.Pow, 3, 0, 0, -2, 2),
        (UnaryOp.Pow, -1.5f, 0, 0, 0.2f, 3),
        (UnaryOp.Pow, 0, 0, 0, -2, 2),
        (UnaryOp.Clamp, -0.5f, 0.7f, 0, -2, 2),
        (UnaryOp.AddScalar, 1.5f, 0, 0, -3, 3),
        (UnaryOp.MulScalar, -2.5f, 0, 0, -3, 3),
        (UnaryOp.Huber, 1, 1, 1, -3, 3),
        (UnaryOp.Huber, 0.5f, 2, 1, -3, 3),
        (UnaryOp.XLogX, 0, 0, 0, 0, 3),
    ];

    private static IEnumerable<AgreementCase> UnaryCases()
    {
        foreach (var (op, a, bArg, c, lo, hi) in UnaryOps)
            foreach (int n in new[] { 1, 17, 65 })
            {
                string args = $"({a}, {bArg}, {c})";
                yield return new($"Unary {op}{args} {n}", g => [Uniform(g, n, lo, hi), Unwritten(n)],
                    (b, s) => b.Unary(op, s[0], s[1], a, bArg, c));
                // The backward reads the forward's output, so each backend's own forward runs first.
                yield return new($"UnaryBackward {op}{args} {n}",
                    g => [Uniform(g, n, lo, hi), Unwritten(n), Normal(g, n), Unwritten(n)], (b, s) =>
                    {
                        b.Unary(op, s[0], s[1], a, bArg, c);
                        b.UnaryBackward(op, s[0], s[1], s[2], s[3], a, bArg, c);
                    });
            }
    }

    /// <summary>Same shapes, rows, columns against rows, both sides broadcasting, and 0-dimensional operands.</summary>
    private static readonly int[][][] BroadcastPairs =
    [
        [[65], [65]], [[7, 1, 5], [1, 17, 1]], [[17, 63], [63]], [[17, 1], [17, 7]], [[], [7]], [[7, 5], []],
        [[2, 1, 3, 1], [1, 4, 1, 5]], [[1], [1]],
    ];

    private static IEnumerable<AgreementCase> BinaryCases()
    {
        foreach (var op in Enum.GetValues<BinaryOp>())
            foreach (var pair in BroadcastPairs)
            {
                var (aShape, bShape) = (pair[0], pair[1]);
                int[] yShape = BroadcastShape(aShape, bShape);
                // Divisors kept off 0; powers of positive bases.
                float lo = op == BinaryOp.Pow ? 0.1f : -3f;
                yield return new($"Binary {op} {Dims(aShape)}∘{Dims(bShape)}",
                    g => [Uniform(g, Numel(aShape), lo, 3), OffZero(g, Numel(bShape)), Unwritten(Numel(yShape))],
                    (b, s) => b.Binary(op, s[0], aShape, s[1], bShape, s[2], yShape));
            }

        int[] big = [7, 17, 5];
        int[][] targets = [[7, 1, 5], [17, 1], [5], [], [1, 17, 5], [7, 17, 5]];
        foreach (var t in targets)
        {
            int terms = Numel(big) / Numel(t);
            yield return new($"SumTo {Dims(big)}→{Dims(t)}", g => [Normal(g, Numel(big)), Unwritten(Numel(t))],
                (b, s) => b.SumTo(s[0], big, s[1], t)) { Terms = terms };
            yield return new($"BroadcastTo {Dims(t)}→{Dims(big)}", g => [Normal(g, Numel(t)), Unwritten(Numel(big))],
                (b, s) => b.BroadcastTo(s[0], t, s[1], big)) { Exact = true };
        }
    }

    private static float[] OffZero(Generator g, int n)
    {
        var values = Uniform(g, n, 0.25f, 3f);
        for (int i = 0; i < n; i += 2) values[i] = -values[i];
        return values;
    }

    private static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 1; i <= rank; i++) result[^i] = Math.Max(i <= a.Length ? a[^i] : 1, i <= b.Length ? b[^i] : 1);
        return result;
    }

    // ------------------------------------------------------------------ reductions

    private static IEnumerable<AgreementCase> Reductions()
    {
        foreach (int n in new[] { 1, 7, 65, 1000 })
        {
            yield return new($"SumAll {n}", g => [Normal(g, n), Unwritten(1)],
                (b, s) => b.SumAll(s[0], s[1])) { Terms = n };
            yield return new($"SumAllScaled {n}", g => [Normal(g, n), Unwritten(1)],
                (b, s) => b.SumAllScaled(s[0], 1.0 / 3, s[1])) { Terms = n };
        }

        int[][] views = [[1, 65, 1], [7, 17, 5], [3, 1, 63], [2, 63, 1], [1, 7, 17], [3, 0, 4]];
        foreach (var v in views)
        {
            var (outer, n, inner) = (v[0], v[1], v[2]);
            string name = $"[{outer},{n},{inner}]";
            yield return new($"Sum {name}", g => [Normal(g, outer * n * inner), Unwritten(outer * inner)],
                (b, s) => b.Sum(s[0], outer, n, inner, s[1])) { Terms = Math.Max(n, 1) };
            if (n == 0) continue;
            yield return new($"Softmax {name}", g => [Normal(g, outer * n * inner, 5f), Unwritten(outer * n * inner)],
                (b, s) => b.Softmax(s[0], outer, n, inner, s[1], log: false)) { Terms = n };
            yield return new($"LogSoftmax {name} large logits",
                g => [Normal(g, outer * n * inner, 50f), Unwritten(outer * n * inner)],
                (b, s) => b.Softmax(s[0], outer, n, inner, s[1], log: true)) { Terms = n };
            yield return new($"Max {name} with ties and NaN",
                g => [Ties(g, outer * n * inner, 23), Unwritten(outer * inner), Unwritten(outer * inner)],
                (b, s) => b.Max(s[0], outer, n, inner, s[1], s[2])) { Exact = true };
            yield return new($"MaxBackward {name}",
                g => [Ties(g, outer * n * inner, 23), Unwritten(outer * inner), Unwritten(outer * inner),
                Normal(g, outer * inner), Unwritten(outer * n * inner)],
                (b, s) =>
                {
                    b.Max(s[0], outer, n, inner, s[1], s[2]);
                    b.MaxBackward(s[3], s[2], outer, n, inner, s[4]);
                }) { Exact = true };
        }

        // The last two are big enough for the CPU to split the columns over the threads (one with a ragged last range).
        foreach (var (rows, columns) in new[] { (17, 63), (1, 7), (65, 1), (0, 5), (600, 512), (700, 517) })
            yield return new($"SumRows [{rows},{columns}]", g => [Normal(g, rows * columns), Unwritten(columns)],
                (b, s) => b.SumRows(s[0], rows, columns, s[1])) { Terms = Math.Max(rows, 1) };
    }

    // ------------------------------------------------------------------ matrix products

    private static IEnumerable<AgreementCase> Products()
    {
        int[][] sizes = [[1, 1, 1], [7, 17, 65], [65, 7, 17], [17, 63, 1], [63, 65, 300], [1, 65, 7]];
        foreach (var size in sizes)
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                {
                    var (m, n, k) = (size[0], size[1], size[2]);
                    // Leading dimensions 3 longer than the rows, and each matrix starting a few values in.
                    int lda = (transA ? m : k) + 3;
                    int ldb = (transB ? k : n) + 3;
                    int ldc = n + 3;
                    int aRows = transA ? k : m;
                    int bRows = transB ? n : k;
                    string product = $"{(transA ? "Aᵀ" : "A")}{(transB ? "Bᵀ" : "B")} m{m} n{n} k{k}";
                    foreach (bool accumulate in new[] { false, true })
                        yield return new($"Gemm {product}{(accumulate ? " +C" : "")}",
                            g => [Normal(g, 2 + aRows * lda), Normal(g, 5 + bRows * ldb), Normal(g, 1 + m * ldc)],
                            (b, s) => b.Gemm(transA, transB, m, n, k, s[0], 2, lda, s[1], 5, ldb, s[2], 1, ldc,
                                accumulate))
                        {
                            Terms = k + 1,
                        };
                    yield return new($"BatchedGemm 3× {(transA ? "Aᵀ" : "A")}{(transB ? "Bᵀ" : "B")} m{m} n{n} k{k}",
                        g => [Normal(g, 2 * m * k + 1), Normal(g, 3 * k * n), Unwritten(3 * m * n)],
                        (b, s) => b.BatchedGemm(transA, transB, m, n, k, s[0], [m * k + 1, 0, m * k], s[1],
                            [0, 2 * k * n, k * n], s[2]))
                    {
                        Terms = k,
                    };
                }
    }
}
