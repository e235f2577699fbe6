using Dendrite.Backends;

namespace Dendrite.Tests.Backends;

/// <summary>Convolution in its three directions, pooling and resampling.</summary>
public partial class BackendAgreementTests
{
    private static ConvGeometry Geometry(int batch, int channels, int h, int w, int outChannels, (int H, int W) kernel,
        (int H, int W) stride, (int Top, int Bottom, int Left, int Right) pad, (int H, int W) dilation,
        int groups) => new()
    {
        Batch = batch, ImageChannels = channels, Height = h, Width = w, ColumnChannels = outChannels,
        KernelH = kernel.H, KernelW = kernel.W, StrideH = stride.H, StrideW = stride.W,
        PadTop = pad.Top, PadBottom = pad.Bottom, PadLeft = pad.Left, PadRight = pad.Right,
        DilationH = dilation.H, DilationW = dilation.W, Groups = groups,
    };

    /// <summary>
    /// Each of the CPU's paths: per-sample im2col with GEMM, output positions split over threads (batch 1), packed
    /// backward data (batch ≥ threads), few-tap kernels, the 1×1 shortcut, and Winograd F(2×2, 3×3) (3×3, stride 1,
    /// batch ≥ 2, at least 16 channels each side) in all three directions.
    /// </summary>
    private static readonly (string Name, ConvGeometry G)[] ConvGeometries =
    [
        ("batch 1 3→4 7×9 k3 pad 1", Geometry(1, 3, 7, 9, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1)),
        ("batch 3 5→4 6×7 k3 pad 1", Geometry(3, 5, 6, 7, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1)),
        ("groups 2 stride (2,1) asymmetric pad dilation 2",
            Geometry(2, 4, 9, 11, 6, (3, 2), (2, 1), (1, 0, 2, 1), (2, 2), 2)),
        ("1×1 pointwise 17→7 5×7", Geometry(2, 17, 5, 7, 7, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1)),
        ("1×1 stride 2 7→5 7×9", Geometry(1, 7, 7, 9, 5, (1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1)),
        ("Winograd 16→16 9×11 pad 1", Geometry(2, 16, 9, 11, 16, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1)),
        ("Winograd 16→17 8×8 no pad batch 3", Geometry(3, 16, 8, 8, 17, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1)),
        ("Winograd 17→16 7×13 pad 2", Geometry(2, 17, 7, 13, 16, (3, 3), (1, 1), (2, 2, 2, 2), (1, 1), 1)),
        ("1-D groups 3 stride 2 dilation 2 pad (1,1)",
            Geometry(2, 3, 1, 17, 6, (1, 3), (1, 2), (0, 0, 1, 1), (1, 2), 3)),
        ("stride 3 odd size batch 3", Geometry(3, 1, 7, 8, 2, (2, 2), (3, 3), (0, 0, 0, 0), (1, 1), 1)),
        ("depthwise 4 groups 5×5", Geometry(1, 4, 5, 5, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 4)),
        ("same padding even kernel 2×3", Geometry(1, 2, 4, 5, 3, (2, 3), (1, 1), (0, 1, 1, 1), (1, 1), 1)),
    ];

    private static IEnumerable<AgreementCase> Convolutions()
    {
        foreach (var (name, g) in ConvGeometries)
        {
            int image = g.Batch * g.ImageChannels * g.ImageSize;
            int columns = g.Batch * g.ColumnChannels * g.OutSize;
            int weight = g.ColumnChannels * g.PatchSize;
            int outerTerms = g.Batch * g.OutSize;
            yield return new($"ConvForward {name}",
                r => [Normal(r, image), Normal(r, weight), Normal(r, g.ColumnChannels), Unwritten(columns)],
                (b, s) => b.ConvForward(g, s[0], s[1], s[2], s[3])) { Terms = g.PatchSize + 1 };
            yield return new($"ConvForward {name} no bias",
                r => [Normal(r, image), Normal(r, weight), Unwritten(columns)],
                (b, s) => b.ConvForward(g, s[0], s[1], null, s[2])) { Terms = g.PatchSize };
            yield return new($"ConvBackwardData {name}", r => [Normal(r, columns), Normal(r, weight), Unwritten(image)],
                (b, s) => b.ConvBackwardData(g, s[0], s[1],
                    s[2])) { Terms = g.ColumnChannelsPerGroup * g.KernelH * g.KernelW };
            yield return new($"ConvBackwardWeight {name}",
                r => [Normal(r, image), Normal(r, columns), Unwritten(weight)],
                (b, s) => b.ConvBackwardWeight(g, s[0], s[1], s[2])) { Terms = outerTerms };
            yield return new($"ConvBackwardBias {name}", r => [Normal(r, columns), Unwritten(g.ColumnChannels)],
                (b, s) => b.ConvBackwardBias(g, s[0], s[1])) { Terms = outerTerms };
        }

        foreach (var (batch, channels, size) in new[] { (2, 17, 63), (1, 7, 1), (3, 1, 65) })
        {
            int n = batch * channels * size;
            yield return new($"SumPerChannel [{batch},{channels},{size}]", r => [Normal(r, n), Unwritten(channels)],
                (b, s) => b.SumPerChannel(s[0], batch, channels, size, s[1])) { Terms = batch * size };
            yield return new($"AddPerChannel [{batch},{channels},{size}]", r => [Normal(r, n), Normal(r, channels)],
                (b, s) => b.AddPerChannel(s[0], s[1], batch, channels, size)) { Exact = true };
        }
    }

    /// <summary>A pooling geometry with PyTorch's output size (in ceil mode the last window starts inside).</summary>
    private static PoolGeometry Pool(int planes, int h, int w, (int H, int W) kernel, (int H, int W) stride,
        (int H, int W) pad, (int H, int W) dilation, bool ceil) => new()
    {
        Planes = planes, Height = h, Width = w, KernelH = kernel.H, KernelW = kernel.W, StrideH = stride.H,
            StrideW = stride.W,
        PadH = pad.H, PadW = pad.W, DilationH = dilation.H, DilationW = dilation.W,
        OutHeight = PoolOut(h, kernel.H, stride.H, pad.H, dilation.H, ceil),
        OutWidth = PoolOut(w, kernel.W, stride.W, pad.W, dilation.W, ceil),
    };

    private static int PoolOut(int size, int kernel, int stride, int pad, int dilation, bool ceil)
    {
        int span = size + 2 * pad - dilation * (kernel - 1) - 1;
        int count = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        return ceil && (count - 1) * stride >= size + pad ? count - 1 : count;
    }

    private static readonly (string Name, PoolGeometry G)[] PoolGeometries =
    [
        ("2×2 s2 8×10", Pool(3, 8, 10, (2, 2), (2, 2), (0, 0), (1, 1), false)),
        ("2×2 s2 7×9 odd", Pool(2, 7, 9, (2, 2), (2, 2), (0, 0), (1, 1), false)),
        ("2×2 s2 7×9 ceil", Pool(2, 7, 9, (2, 2), (2, 2), (0, 0), (1, 1), true)),
        ("3×3 s2 pad 1 7×9", Pool(1, 7, 9, (3, 3), (2, 2), (1, 1), (1, 1), false)),
        ("3×3 s2 pad 1 6×8 ceil", Pool(2, 6, 8, (3, 3), (2, 2), (1, 1), (1, 1), true)),
        ("2×2 s2 dilation 2 7×6 ceil", Pool(2, 7, 6, (2, 2), (2, 2), (0, 0), (2, 2), true)),
        ("1-D k3 s1 pad 1 1×17", Pool(6, 1, 17, (1, 3), (1, 1), (0, 1), (1, 1), false)),
        ("2×3 s(1,2) 5×65", Pool(1, 5, 65, (2, 3), (1, 2), (0, 0), (1, 1), false)),
    ];

    private static IEnumerable<AgreementCase> Pooling()
    {
        foreach (var (name, g) in PoolGeometries)
        {
            int input = g.Planes * g.ImageSize;
            int output = g.Planes * g.OutSize;
            yield return new($"MaxPoolForward {name} with ties and NaN",
                r => [Ties(r, input, 13), Unwritten(output), Unwritten(output)],
                (b, s) => b.MaxPoolForward(g, s[0], s[1], s[2])) { Exact = true };
            yield return new($"MaxPoolBackward {name}",
                r => [Ties(r, input, 13), Unwritten(output), Unwritten(output), Normal(r, output), Unwritten(input)],
                (b, s) =>
                {
                    b.MaxPoolForward(g, s[0], s[1], s[2]);
                    b.MaxPoolBackward(g, s[3], s[2], s[4]);
                }) { Exact = true };
            if (g.DilationH != 1 || g.DilationW != 1) continue; // average pooling has no dilation
            foreach (bool countPad in new[] { true, false })
            {
                string variant = countPad ? "counting padding" : "excluding padding";
                yield return new($"AvgPoolForward {name} {variant}", r => [Normal(r, input), Unwritten(output)],
                    (b, s) => b.AvgPoolForward(g, countPad, s[0], s[1])) { Terms = g.KernelH * g.KernelW };
                yield return new($"AvgPoolBackward {name} {variant}", r => [Normal(r, output), Unwritten(input)],
                    (b, s) => b.AvgPoolBackward(g, countPad, s[0], s[1])) { Terms = g.KernelH * g.KernelW };
            }
        }
    }

    private static IEnumerable<AgreementCase> Resampling()
    {
        int[][] adaptive = [[3, 7, 9, 3, 4], [2, 5, 5, 5, 5], [1, 17, 1, 4, 1], [2, 4, 3, 1, 1], [1, 3, 5, 7, 11]];
        foreach (var a in adaptive)
        {
            var (planes, h, w, oh, ow) = (a[0], a[1], a[2], a[3], a[4]);
            string name = $"{planes}×{h}×{w}→{oh}×{ow}";
            int terms = (h / oh + 2) * (w / ow + 2);
            yield return new($"AdaptiveAvgPool {name}", r => [Normal(r, planes * h * w), Unwritten(planes * oh * ow)],
                (b, s) => b.AdaptiveAvgPool(planes, h, w, oh, ow, s[0], s[1])) { Terms = terms };
            yield return new($"AdaptiveAvgPoolBackward {name}",
                r => [Normal(r, planes * oh * ow), Unwritten(planes * h * w)],
                (b, s) => b.AdaptiveAvgPoolBackward(planes, h, w, oh, ow, s[0], s[1])) { Terms = terms };
        }

        int[][] nearest = [[2, 3, 5, 7, 11], [1, 2, 3, 4, 6], [1, 5, 7, 3, 4], [3, 1, 1, 2, 3], [1, 7, 17, 17, 65]];
        foreach (var a in nearest)
        {
            var (planes, h, w, oh, ow) = (a[0], a[1], a[2], a[3], a[4]);
            string name = $"{planes}×{h}×{w}→{oh}×{ow}";
            yield return new($"UpsampleNearest {name}", r => [Normal(r, planes * h * w), Unwritten(planes * oh * ow)],
                (b, s) => b.UpsampleNearest(planes, h, w, oh, ow, s[0], s[1])) { Exact = true };
            yield return new($"UpsampleNearestBackward {name}",
                r => [Normal(r, planes * oh * ow), Unwritten(planes * h * w)],
                (b, s) => b.UpsampleNearestBackward(planes, h, w, oh, ow, s[0],
                    s[1])) { Terms = (oh / h + 1) * (ow / w + 1) };
        }
    }
}
