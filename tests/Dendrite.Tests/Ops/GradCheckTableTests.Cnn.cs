namespace Dendrite.Tests.Ops;

/// <summary>The convolutional network's ops: every stride, padding, dilation and groups variant, odd sizes and batch 1.</summary>
public partial class GradCheckTableTests
{
    private static readonly Domain Spread = new(-5f, 5f) { Distinct = true, Margin = 0.01f };

    private static IEnumerable<OpCase> Convolutions()
    {
        yield return new("conv1d k3 + bias", x => F.Conv1d(x[0], x[1], x[2]), [[2, 3, 7], [4, 3, 3], [4]], [2, 4, 5]);
        yield return new("conv1d stride 2 pad 1", x => F.Conv1d(x[0], x[1], stride: 2, padding: 1), [[1, 2, 8], [3, 2, 3]], [1, 3, 4]);
        yield return new("conv1d dilation 2", x => F.Conv1d(x[0], x[1], x[2], dilation: 2), [[2, 2, 9], [2, 2, 3], [2]], [2, 2, 5]);
        yield return new("conv1d groups 3", x => F.Conv1d(x[0], x[1], x[2], groups: 3), [[2, 3, 6], [6, 1, 3], [6]], [2, 6, 4]);
        yield return new("conv1d same even kernel", x => F.Conv1d(x[0], x[1], padding: "same"), [[1, 2, 6], [2, 2, 2]], [1, 2, 6]);

        yield return new("conv2d 3x3 + bias batch 1", x => F.Conv2d(x[0], x[1], x[2]), [[1, 2, 5, 6], [3, 2, 3, 3], [3]], [1, 3, 3, 4]);
        yield return new("conv2d stride (2,1) pad (1,2)", x => F.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 2)),
            [[2, 2, 5, 4], [2, 2, 3, 3], [2]], [2, 2, 3, 6]);
        yield return new("conv2d dilation 2", x => F.Conv2d(x[0], x[1], dilation: 2), [[2, 1, 7, 6], [2, 1, 2, 3]], [2, 2, 5, 2]);
        yield return new("conv2d groups 2", x => F.Conv2d(x[0], x[1], x[2], groups: 2), [[2, 4, 4, 3], [4, 2, 2, 2], [4]], [2, 4, 3, 2]);
        yield return new("conv2d 1x1 pointwise", x => F.Conv2d(x[0], x[1], x[2]), [[2, 3, 3, 4], [5, 3, 1, 1], [5]], [2, 5, 3, 4]);
        yield return new("conv2d same 2x3 kernel", x => F.Conv2d(x[0], x[1], padding: "same"), [[1, 2, 4, 5], [2, 2, 2, 3]], [1, 2, 4, 5]);
        yield return new("conv2d stride 3 odd size", x => F.Conv2d(x[0], x[1], stride: 3), [[3, 1, 7, 8], [2, 1, 2, 2]], [3, 2, 2, 3]);

        // relu(conv + residual), the residual ±(2..3) where the convolution stays within ±1.4: no sum near ReLU's kink,
        // and both open and closed outputs.
        yield return new("conv2d add relu pad 1 + bias", x => F.Conv2dAddReLU(x[0], x[1], x[2], x[3], padding: 1),
            [[2, 2, 5, 4], [3, 2, 3, 3], [3], [2, 3, 5, 4]], [2, 3, 5, 4]) { Make = g => ConvAddReluInputs(g, [2, 2, 5, 4], [3, 2, 3, 3], [2, 3, 5, 4]) };
        yield return new("conv2d add relu stride 2 no bias", x => F.Conv2dAddReLU(x[0], x[1], null, x[2], stride: 2, padding: 1),
            [[1, 2, 5, 5], [2, 2, 3, 3], [1, 2, 3, 3]], [1, 2, 3, 3]) { Make = g => ConvAddReluInputs(g, [1, 2, 5, 5], [2, 2, 3, 3], [1, 2, 3, 3], bias: false) };
        yield return new("conv2d add no relu 1x1", x => F.Conv2dAddReLU(x[0], x[1], x[2], x[3], relu: false),
            [[2, 3, 2, 3], [2, 3, 1, 1], [2], [2, 2, 2, 3]], [2, 2, 2, 3]);
        yield return new("conv2d relu no residual", x => F.Conv2dAddReLU(x[0], x[1], x[2], padding: 1),
            [[2, 2, 3, 3], [2, 2, 3, 3], [2]], [2, 2, 3, 3]) { Make = g => ConvAddReluInputs(g, [2, 2, 3, 3], [2, 2, 3, 3], null) };

        yield return new("conv_transpose2d stride 2 pad 1 outpad 1 + bias",
            x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, outputPadding: 1), [[2, 3, 3, 4], [3, 2, 3, 3], [2]], [2, 2, 6, 8]);
        yield return new("conv_transpose2d groups 2 stride 2", x => F.ConvTranspose2d(x[0], x[1], stride: 2, groups: 2),
            [[1, 4, 3, 3], [4, 1, 2, 2]], [1, 2, 6, 6]);
        yield return new("conv_transpose2d dilation 2 batch 1", x => F.ConvTranspose2d(x[0], x[1], x[2], dilation: 2),
            [[1, 2, 3, 2], [2, 3, 2, 2], [3]], [1, 3, 5, 4]);
        yield return new("conv_transpose1d stride 3", x => F.ConvTranspose1d(x[0], x[1], x[2], stride: 3, padding: 1),
            [[2, 2, 4], [2, 3, 3], [3]], [2, 3, 10]);
    }

    /// <summary>Inputs of <see cref="F.Conv2dAddReLU"/> whose sums stay off ReLU's kink: |conv| ≤ 18·0.4·0.15 + 0.2 ≈ 1.3
    /// and a residual of ±(2..3); without a residual, a bias of ±(1.5..2) does it.</summary>
    private static Tensor[] ConvAddReluInputs(Generator g, int[] input, int[] weight, int[]? residual, bool bias = true)
    {
        var x = new Domain(-0.4f, 0.4f).Sample(g, input);
        var w = new Domain(-0.15f, 0.15f).Sample(g, weight);
        if (residual is null)
        {
            var far = new Domain(-2f, 2f) { Avoid = [0f], Margin = 1.5f }.Sample(g, [weight[0]]);
            return [x, w, far];
        }
        var b = new Domain(-0.2f, 0.2f).Sample(g, [weight[0]]);
        var r = new Domain(-3f, 3f) { Avoid = [0f], Margin = 2f }.Sample(g, residual);
        return bias ? [x, w, b, r] : [x, w, r];
    }

    private static IEnumerable<OpCase> Pooling()
    {
        yield return new("max_pool2d 2x2 stride 1", x => F.MaxPool2d(x[0], 2, stride: 1), [[2, 3, 5, 4]], [2, 3, 4, 3]) { Domain = Spread };
        yield return new("max_pool2d 3x3 stride 2 pad 1", x => F.MaxPool2d(x[0], 3, stride: 2, padding: 1), [[1, 2, 5, 6]], [1, 2, 3, 3]) { Domain = Spread };
        yield return new("max_pool2d dilation 2 ceil", x => F.MaxPool2d(x[0], 2, stride: 2, dilation: 2, ceilMode: true), [[1, 2, 7, 6]], [1, 2, 3, 3]) { Domain = Spread };
        yield return new("max_pool2d unbatched", x => F.MaxPool2d(x[0], 2), [[3, 4, 5]], [3, 2, 2]) { Domain = Spread };
        yield return new("max_pool1d k3 s2", x => F.MaxPool1d(x[0], 3, stride: 2), [[2, 3, 9]], [2, 3, 4]) { Domain = Spread };

        yield return new("avg_pool2d 2x2", x => F.AvgPool2d(x[0], 2), [[2, 3, 4, 5]], [2, 3, 2, 2]);
        yield return new("avg_pool2d 3x3 s2 p1", x => F.AvgPool2d(x[0], 3, stride: 2, padding: 1), [[1, 2, 5, 5]], [1, 2, 3, 3]);
        yield return new("avg_pool2d exclude pad ceil", x => F.AvgPool2d(x[0], 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
            [[1, 2, 6, 5]], [1, 2, 4, 3]);
        yield return new("avg_pool1d k2 s1", x => F.AvgPool1d(x[0], 2, stride: 1), [[2, 2, 5]], [2, 2, 4]);

        yield return new("adaptive_avg_pool2d 5x7 → 3x4", x => F.AdaptiveAvgPool2d(x[0], (3, 4)), [[2, 2, 5, 7]], [2, 2, 3, 4]);
        yield return new("adaptive_avg_pool2d global", x => F.AdaptiveAvgPool2d(x[0], 1), [[2, 3, 4, 3]], [2, 3, 1, 1]);
        yield return new("adaptive_avg_pool1d 7 → 3", x => F.AdaptiveAvgPool1d(x[0], 3), [[1, 2, 7]], [1, 2, 3]);
        yield return new("upsample nearest ×2", x => F.UpsampleNearest2d(x[0], scaleFactor: 2), [[2, 2, 2, 3]], [2, 2, 4, 6]);
        yield return new("upsample nearest to 5x3", x => F.UpsampleNearest2d(x[0], size: (5, 3)), [[1, 2, 2, 2]], [1, 2, 5, 3]);
        yield return new("pad [1,2,0,1]", x => F.Pad(x[0], [1, 2, 0, 1]), [[2, 3, 4]], [2, 4, 7]);
    }

    private static IEnumerable<OpCase> Normalization()
    {
        yield return new("batch_norm train [6,3] affine", x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true),
            [[6, 3], [3], [3]], [6, 3]);
        yield return new("batch_norm train [2,3,4,5] affine", x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true),
            [[2, 3, 4, 5], [3], [3]], [2, 3, 4, 5]);
        yield return new("batch_norm train [3,2,5] running stats",
            x => F.BatchNorm(x[0], Tensor.Zeros(2).To(x[0].Device), Tensor.Ones(2).To(x[0].Device), training: true),
            [[3, 2, 5]], [3, 2, 5]);
        yield return new("batch_norm eval affine",
            x => F.BatchNorm(x[0], Tensor.FromArray([0.5f, -1f], 2).To(x[0].Device),
                Tensor.FromArray([2f, 0.5f], 2).To(x[0].Device), x[1], x[2], training: false),
            [[3, 2, 2, 2], [2], [2]], [3, 2, 2, 2]);
        yield return new("batch_norm train batch 1 spatial", x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true),
            [[1, 2, 3, 3], [2], [2]], [1, 2, 3, 3]);

        yield return new("layer_norm [3,4] over [4]", x => F.LayerNorm(x[0], [4], x[1], x[2]), [[3, 4], [4], [4]], [3, 4]);
        yield return new("layer_norm [2,3,4] over [3,4]", x => F.LayerNorm(x[0], [3, 4], x[1], x[2]), [[2, 3, 4], [3, 4], [3, 4]], [2, 3, 4]);
        yield return new("layer_norm no affine", x => F.LayerNorm(x[0], [5]), [[2, 5]], [2, 5]);
    }
}
