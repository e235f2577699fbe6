using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// 2-D max pooling over [N, C, H, W] (or [C, H, W]): the largest value in each kernel window, windows
    /// <paramref name="stride"/> apart (the kernel size when null, as in PyTorch). Padding is −∞, never chosen.
    /// The gradient goes to the first largest input of each window.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Size2d kernelSize, Size2d? stride = null, Size2d? padding = null,
        Size2d? dilation = null, bool ceilMode = false)
    {
        var g = PoolGeometryOf(nameof(MaxPool2d), input, 2, kernelSize, stride ?? kernelSize, padding ?? 0, dilation ?? 1, ceilMode);
        return MaxPool(nameof(MaxPool2d), input, g);
    }

    /// <summary>1-D max pooling over [N, C, L] (or [C, L]).</summary>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        var g = PoolGeometryOf(nameof(MaxPool1d), input, 1, (1, kernelSize), (1, stride ?? kernelSize), (0, padding), (1, dilation), ceilMode);
        return MaxPool(nameof(MaxPool1d), input, g);
    }

    /// <summary>
    /// 2-D average pooling over [N, C, H, W] (or [C, H, W]). With <paramref name="countIncludePad"/> (PyTorch's
    /// default) padding zeros count in each window's divisor.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, Size2d kernelSize, Size2d? stride = null, Size2d? padding = null,
        bool ceilMode = false, bool countIncludePad = true)
    {
        var g = PoolGeometryOf(nameof(AvgPool2d), input, 2, kernelSize, stride ?? kernelSize, padding ?? 0, 1, ceilMode);
        return AvgPool(nameof(AvgPool2d), input, g, countIncludePad);
    }

    /// <summary>1-D average pooling over [N, C, L] (or [C, L]).</summary>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true)
    {
        var g = PoolGeometryOf(nameof(AvgPool1d), input, 1, (1, kernelSize), (1, stride ?? kernelSize), (0, padding), 1, ceilMode);
        return AvgPool(nameof(AvgPool1d), input, g, countIncludePad);
    }

    /// <summary>
    /// Average pooling to a fixed output size whatever the input size: output cell i averages input rows
    /// ⌊i·H/out⌋ to ⌈(i+1)·H/out⌉. <c>AdaptiveAvgPool2d(x, 1)</c> is global average pooling.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Size2d outputSize)
    {
        CheckPoolInput(nameof(AdaptiveAvgPool2d), input, 2);
        if (outputSize.H < 1 || outputSize.W < 1)
            throw new ArgumentOutOfRangeException(nameof(outputSize), $"AdaptiveAvgPool2d: output size must be positive, got {outputSize}.");
        int h = input.Shape[-2], w = input.Shape[-1];
        return Resample(nameof(AdaptiveAvgPool2d), input, h, w, outputSize.H, outputSize.W, adaptiveAverage: true);
    }

    /// <summary>Adaptive average pooling of [N, C, L] (or [C, L]) to <paramref name="outputSize"/> positions.</summary>
    public static Tensor AdaptiveAvgPool1d(Tensor input, int outputSize)
    {
        CheckPoolInput(nameof(AdaptiveAvgPool1d), input, 1);
        if (outputSize < 1)
            throw new ArgumentOutOfRangeException(nameof(outputSize), $"AdaptiveAvgPool1d: output size must be positive, got {outputSize}.");
        return Resample(nameof(AdaptiveAvgPool1d), input, 1, input.Shape[-1], 1, outputSize, adaptiveAverage: true);
    }

    /// <summary>
    /// Max pooling to a fixed output size whatever the input size, as <c>torch.nn.functional.adaptive_max_pool2d</c>:
    /// output cell (i, j) takes the largest input in rows ⌊i·H/outH⌋ to ⌈(i+1)·H/outH⌉ (exclusive) and the columns
    /// likewise, windows that may overlap. The gradient goes to the first largest input of each window; a NaN wins.
    /// </summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, Size2d outputSize)
    {
        CheckPoolInput(nameof(AdaptiveMaxPool2d), input, 2);
        if (outputSize.H < 1 || outputSize.W < 1)
            throw new ArgumentOutOfRangeException(nameof(outputSize), $"AdaptiveMaxPool2d: output size must be positive, got {outputSize}.");
        return AdaptiveMax(nameof(AdaptiveMaxPool2d), input, input.Shape[-2], input.Shape[-1], outputSize.H, outputSize.W, 2);
    }

    /// <summary>Adaptive max pooling of [N, C, L] (or [C, L]) to <paramref name="outputSize"/> positions.</summary>
    public static Tensor AdaptiveMaxPool1d(Tensor input, int outputSize)
    {
        CheckPoolInput(nameof(AdaptiveMaxPool1d), input, 1);
        if (outputSize < 1)
            throw new ArgumentOutOfRangeException(nameof(outputSize), $"AdaptiveMaxPool1d: output size must be positive, got {outputSize}.");
        return AdaptiveMax(nameof(AdaptiveMaxPool1d), input, 1, input.Shape[-1], 1, outputSize, 1);
    }

    private static Tensor AdaptiveMax(string op, Tensor input, int h, int w, int outH, int outW, int spatialDims)
    {
        int planes = input.Numel / (h * w);
        var lead = input.Shape.AsSpan()[..^spatialDims].ToArray();
        var y = Tensor.Empty(new Shape(spatialDims == 2 ? [.. lead, outH, outW] : [.. lead, outW]), input.Device);
        var argMax = Tensor.Empty(y.Shape, input.Device);
        var backend = input.Backend;
        backend.AdaptiveMaxPool(planes, h, w, outH, outW, input.Storage, y.Storage, argMax.Storage);
        return Tape.Record(y, op, [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            backend.AdaptiveMaxPoolBackward(planes, h, w, outH, outW, dy.Storage, argMax.Storage, dx.Storage);
            return [dx];
        });
    }

    /// <summary>
    /// Nearest-neighbour upsampling of the last two dimensions of [N, C, H, W] (or [C, H, W]) to <paramref name="size"/>,
    /// or by <paramref name="scaleFactor"/> (output = ⌊input · factor⌋); output pixel i copies input pixel ⌊i·in/out⌋.
    /// </summary>
    public static Tensor UpsampleNearest2d(Tensor input, Size2d? size = null, float? scaleFactor = null)
    {
        const string op = nameof(UpsampleNearest2d);
        CheckPoolInput(op, input, 2);
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException($"{op}: give exactly one of size and scaleFactor.");
        if (scaleFactor is { } factor && !(factor > 0 && float.IsFinite(factor)))
            throw new ArgumentOutOfRangeException(nameof(scaleFactor), $"{op}: scaleFactor must be a positive finite number, got {factor}.");
        int h = input.Shape[-2], w = input.Shape[-1];
        var target = size ?? ((int)MathF.Floor(h * scaleFactor!.Value), (int)MathF.Floor(w * scaleFactor.Value));
        if (target.H < 1 || target.W < 1)
            throw new ArgumentOutOfRangeException(nameof(size), $"{op}: output size must be positive, got {target} for input {input.Shape}.");
        return Resample(op, input, h, w, target.H, target.W, adaptiveAverage: false);
    }

    /// <summary>
    /// An op over the last (one or) two dimensions, planes independent: adaptive average pooling, or nearest-neighbour
    /// resampling.
    /// </summary>
    private static Tensor Resample(string op, Tensor input, int h, int w, int outH, int outW, bool adaptiveAverage)
    {
        int spatialDims = op.EndsWith("1d", StringComparison.Ordinal) ? 1 : 2;
        int planes = input.Numel / (h * w);
        var shape = input.Shape.AsSpan()[..^spatialDims].ToArray();
        var y = Tensor.Empty(new Shape(spatialDims == 2 ? [.. shape, outH, outW] : [.. shape, outW]), input.Device);
        var backend = input.Backend;
        if (adaptiveAverage) backend.AdaptiveAvgPool(planes, h, w, outH, outW, input.Storage, y.Storage);
        else backend.UpsampleNearest(planes, h, w, outH, outW, input.Storage, y.Storage);
        return Tape.Record(y, op, [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            if (adaptiveAverage) backend.AdaptiveAvgPoolBackward(planes, h, w, outH, outW, dy.Storage, dx.Storage);
            else backend.UpsampleNearestBackward(planes, h, w, outH, outW, dy.Storage, dx.Storage);
            return [dx];
        });
    }

    private static Tensor MaxPool(string op, Tensor input, PoolGeometry g)
    {
        var y = Tensor.Empty(PooledShape(input, g, op), input.Device);
        var argMax = Tensor.Empty(y.Shape, input.Device);
        input.Backend.MaxPoolForward(g, input.Storage, y.Storage, argMax.Storage);
        return Tape.Record(y, op, [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            input.Backend.MaxPoolBackward(g, dy.Storage, argMax.Storage, dx.Storage);
            return [dx];
        });
    }

    private static Tensor AvgPool(string op, Tensor input, PoolGeometry g, bool countIncludePad)
    {
        var y = Tensor.Empty(PooledShape(input, g, op), input.Device);
        input.Backend.AvgPoolForward(g, countIncludePad, input.Storage, y.Storage);
        return Tape.Record(y, op, [input], dy =>
        {
            var dx = Tensor.Empty(input.Shape, input.Device);
            input.Backend.AvgPoolBackward(g, countIncludePad, dy.Storage, dx.Storage);
            return [dx];
        });
    }

    private static Shape PooledShape(Tensor input, PoolGeometry g, string op)
    {
        bool oneD = op.EndsWith("1d", StringComparison.Ordinal); // the 1-D ops are 2-D ops over rows of height 1
        var lead = input.Shape.AsSpan()[..^(oneD ? 1 : 2)].ToArray();
        return oneD ? new Shape([.. lead, g.OutWidth]) : new Shape([.. lead, g.OutHeight, g.OutWidth]);
    }

    private static void CheckPoolInput(string op, Tensor input, int spatialDims)
    {
        if (input.Rank != spatialDims + 1 && input.Rank != spatialDims + 2)
            throw new ShapeMismatchException(spatialDims == 2
                ? $"{op}: expected a 4-D input [N, C, H, W] or 3-D [C, H, W], got {input.Shape}."
                : $"{op}: expected a 3-D input [N, C, L] or 2-D [C, L], got {input.Shape}.");
        if (input.Numel == 0) throw new ShapeMismatchException($"{op}: the input {input.Shape} is empty.");
    }

    private static PoolGeometry PoolGeometryOf(string op, Tensor input, int spatialDims, Size2d kernel, Size2d stride,
        Size2d padding, Size2d dilation, bool ceilMode)
    {
        CheckPoolInput(op, input, spatialDims);
        if (kernel.H < 1 || kernel.W < 1) throw new ArgumentOutOfRangeException(nameof(kernel), $"{op}: kernel size must be positive, got {kernel}.");
        if (stride.H < 1 || stride.W < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: stride must be positive, got {stride}.");
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentOutOfRangeException(nameof(dilation), $"{op}: dilation must be positive, got {dilation}.");
        if (padding.H < 0 || padding.W < 0 || padding.H * 2 > kernel.H || padding.W * 2 > kernel.W)
            throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding must be between 0 and half the kernel size {kernel}, got {padding}.");
        int h = spatialDims == 2 ? input.Shape[-2] : 1, w = input.Shape[-1];
        int outH = PooledSize(h, kernel.H, stride.H, padding.H, dilation.H, ceilMode);
        int outW = PooledSize(w, kernel.W, stride.W, padding.W, dilation.W, ceilMode);
        if (outH < 1 || outW < 1)
            throw new ShapeMismatchException($"{op}: input {input.Shape} is smaller than the kernel {kernel} (with padding {padding}).");
        return new PoolGeometry
        {
            Planes = input.Numel / (h * w), Height = h, Width = w, KernelH = kernel.H, KernelW = kernel.W,
            StrideH = stride.H, StrideW = stride.W, PadH = padding.H, PadW = padding.W,
            DilationH = dilation.H, DilationW = dilation.W, OutHeight = outH, OutWidth = outW,
        };
    }

    /// <summary>PyTorch's pooled length; in ceil mode the last window must still start inside the input or left padding.</summary>
    private static int PooledSize(int size, int kernel, int stride, int padding, int dilation, bool ceilMode)
    {
        int span = size + 2 * padding - dilation * (kernel - 1) - 1;
        if (span < 0) return 0;
        int count = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceilMode && (count - 1) * stride >= size + padding) count--;
        return count;
    }
}
