using System.Runtime.Intrinsics;
using Dendrite.Backends;
using Dendrite.Backends.Cpu;

namespace Dendrite.Tests.Backends;

/// <summary>
/// The fused convolution-ReLU-pooling kernel, which the CPU runs as one Winograd pass and the reference declines:
/// the CPU's fused values and gradients against the reference's separate ops, which define them.
/// </summary>
public partial class BackendAgreementTests
{
    public static TheoryData<string, int, int, bool, bool> FusedGeometries => new()
    {
        // name, image height, width, relu of the input, dropout mask after the pooling
        { "8×10", 8, 10, false, false },
        { "9×11 odd, relu input", 9, 11, true, false },
        { "7×12 with dropout mask, relu input", 7, 12, true, true },
    };

    [Fact]
    public void The_Winograd_geometries_take_the_Winograd_paths_where_the_processor_has_them()
    {
        // Otherwise the Winograd cases above would compare the GEMM path twice.
        foreach (var (name, g) in ConvGeometries.Where(c => c.Name.StartsWith("Winograd", StringComparison.Ordinal)))
        {
            bool fits = Winograd.Fits(g) && Winograd.Fits(Winograd.Transposed(g));
            Assert.True(fits == Winograd.Accelerated(Isa.Best), $"{name}: Winograd fits {fits}");
        }
    }

    [Theory, MemberData(nameof(FusedGeometries))]
    public void The_fused_convolution_relu_pooling_equals_the_reference_separate_ops(string name, int h, int w,
        bool reluInput, bool dropMask)
    {
        var g = Geometry(2, 16, h, w, 17, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1);
        // Without AVX-512 the CPU declines the fused kernel too, and there is nothing fused to compare.
        Assert.Equal(Winograd.Accelerated(Isa.Best), Cpu.FitsConvReluMaxPool(g));   // AVX-512 or AVX2 + FMA
        if (!Cpu.FitsConvReluMaxPool(g)) return;
        var r = new Generator(Seed);
        var x = Normal(r, g.Batch * g.ImageChannels * g.ImageSize);
        var weight = Normal(r, g.ColumnChannels * g.PatchSize, 0.3f);
        var bias = Normal(r, g.ColumnChannels);
        var pool = Pool(g.Batch * g.ColumnChannels, g.OutHeight, g.OutWidth, (2, 2), (2, 2), (0, 0), (1, 1), false);
        int pooled = pool.Planes * pool.OutSize;
        var dPooled = Normal(r, pooled);
        var mask = dropMask ? Uniform(r, pooled, 0f, 1f).Select(u => u < 0.3f ? 0f : 1f / 0.7f).ToArray() : null;

        var (fusedY, fusedDx, fusedDw, fusedDb) = Fused(g, x, weight, bias, dPooled, mask, reluInput);
        var (y, dx, dw, db) = Separate(g, pool, x, weight, bias, dPooled, mask, reluInput);

        AssertClose($"{name}: pooled", fusedY, y, g.PatchSize + 1);
        AssertClose($"{name}: dx", fusedDx, dx, g.ColumnChannels * 9);
        AssertClose($"{name}: dWeight", fusedDw, dw, g.Batch * g.OutSize);
        AssertClose($"{name}: dBias", fusedDb, db, g.Batch * g.OutSize);
    }

    private static (float[] Y, float[] Dx, float[] Dw, float[] Db) Fused(in ConvGeometry g, float[] x, float[] weight,
        float[] bias, float[] dPooled, float[]? mask, bool reluInput)
    {
        var y = Cpu.Allocate(dPooled.Length);
        var codes = Cpu.Allocate(Cpu.ConvReluMaxPoolCodeLength(g));
        var (sx, sw) = (Cpu.Upload(x), Cpu.Upload(weight));
        Cpu.ConvReluMaxPoolForward(g, sx, sw, Cpu.Upload(bias), y, codes, reluInput);
        var (dx, dw, db) = (Cpu.Allocate(x.Length), Cpu.Allocate(weight.Length), Cpu.Allocate(bias.Length));
        var dropMask = mask is null ? null : Cpu.Upload(mask);
        Cpu.ConvReluMaxPoolBackward(g, Cpu.Upload(dPooled), codes, dropMask, sx, sw, dx, dw, db, reluInput);
        return (Host(y), Host(dx), Host(dw), Host(db));
    }

    /// <summary>The definition, op by op on the reference backend: relu?, conv, relu, 2×2 max pool, and back.</summary>
    private static (float[] Y, float[] Dx, float[] Dw, float[] Db) Separate(in ConvGeometry g, in PoolGeometry pool,
        float[] x, float[] weight, float[] bias, float[] dPooled, float[]? mask, bool reluInput)
    {
        var b = Reference;
        var input = b.Upload(x);
        var convInput = b.Allocate(x.Length);
        b.Unary(reluInput ? UnaryOp.Relu : UnaryOp.MulScalar, input, convInput, 1f);
        var sw = b.Upload(weight);
        int columns = g.Batch * g.ColumnChannels * g.OutSize;
        var (conv, activation) = (b.Allocate(columns), b.Allocate(columns));
        b.ConvForward(g, convInput, sw, b.Upload(bias), conv);
        b.Unary(UnaryOp.Relu, conv, activation);
        var (y, argMax) = (b.Allocate(dPooled.Length), b.Allocate(dPooled.Length));
        b.MaxPoolForward(pool, activation, y, argMax);

        // Dropout after the pooling multiplies the gradient that reaches the pooled values by its mask.
        var dy = b.Upload(mask is null ? dPooled : dPooled.Zip(mask, (d, m) => d * m).ToArray());
        var (dActivation, dConv) = (b.Allocate(columns), b.Allocate(columns));
        b.MaxPoolBackward(pool, dy, argMax, dActivation);
        b.UnaryBackward(UnaryOp.Relu, conv, activation, dActivation, dConv);
        var (dConvInput, dx) = (b.Allocate(x.Length), b.Allocate(x.Length));
        b.ConvBackwardData(g, dConv, sw, dConvInput);
        b.UnaryBackward(reluInput ? UnaryOp.Relu : UnaryOp.MulScalar, input, convInput, dConvInput, dx, 1f);
        var (dw, db) = (b.Allocate(weight.Length), b.Allocate(bias.Length));
        b.ConvBackwardWeight(g, convInput, dConv, dw);
        b.ConvBackwardBias(g, dConv, db);
        return (Host(y), Host(dx), Host(dw), Host(db));
    }

    private static float[] Host(Storage s) => ((CpuStorage)s).Span.ToArray();

    private static void AssertClose(string what, float[] fast, float[] plain, int terms)
    {
        double bound = Tolerance * Math.Sqrt(terms);
        Assert.Equal(plain.Length, fast.Length);
        for (int i = 0; i < plain.Length; i++)
            Assert.True(Math.Abs(fast[i] - plain[i]) <= bound * (1 + Math.Abs(plain[i])),
                $"{what}, element {i}: cpu {fast[i]}, reference {plain[i]}");
    }
}
