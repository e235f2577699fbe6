namespace Dendrite.NN;

/// <summary>2-D max pooling (<see cref="F.MaxPool2d"/>); the stride defaults to the kernel size.</summary>
public sealed class MaxPool2d(Size2d kernelSize, Size2d? stride = null, Size2d? padding = null, Size2d? dilation = null,
    bool ceilMode = false) : Module
{
    public Size2d KernelSize { get; } = kernelSize;
    public Size2d Stride { get; } = stride ?? kernelSize;
    public Size2d Padding { get; } = padding ?? 0;
    public Size2d Dilation { get; } = dilation ?? 1;
    public bool CeilMode { get; } = ceilMode;
    public override Tensor Forward(Tensor input) => F.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={CeilMode}";
}

/// <summary>1-D max pooling (<see cref="F.MaxPool1d"/>) over [N, C, L].</summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;
    public int Dilation { get; } = dilation;
    public bool CeilMode { get; } = ceilMode;
    public override Tensor Forward(Tensor input) => F.MaxPool1d(input, KernelSize, Stride, Padding, Dilation, CeilMode);
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={CeilMode}";
}

/// <summary>2-D average pooling (<see cref="F.AvgPool2d"/>); the stride defaults to the kernel size.</summary>
public sealed class AvgPool2d(Size2d kernelSize, Size2d? stride = null, Size2d? padding = null, bool ceilMode = false,
    bool countIncludePad = true) : Module
{
    public Size2d KernelSize { get; } = kernelSize;
    public Size2d Stride { get; } = stride ?? kernelSize;
    public Size2d Padding { get; } = padding ?? 0;
    public bool CeilMode { get; } = ceilMode;
    public bool CountIncludePad { get; } = countIncludePad;
    public override Tensor Forward(Tensor input) => F.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>1-D average pooling (<see cref="F.AvgPool1d"/>) over [N, C, L].</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;
    public bool CeilMode { get; } = ceilMode;
    public bool CountIncludePad { get; } = countIncludePad;
    public override Tensor Forward(Tensor input) => F.AvgPool1d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>Average pooling to a fixed output size (<see cref="F.AdaptiveAvgPool2d"/>); size 1 is global average pooling.</summary>
public sealed class AdaptiveAvgPool2d(Size2d outputSize) : Module
{
    public Size2d OutputSize { get; } = outputSize;
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input, OutputSize);
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Average pooling of [N, C, L] to a fixed length (<see cref="F.AdaptiveAvgPool1d"/>).</summary>
public sealed class AdaptiveAvgPool1d(int outputSize) : Module
{
    public int OutputSize { get; } = outputSize;
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool1d(input, OutputSize);
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Max pooling to a fixed output size (<see cref="F.AdaptiveMaxPool2d"/>); size 1 is global max pooling.</summary>
public sealed class AdaptiveMaxPool2d(Size2d outputSize) : Module
{
    public Size2d OutputSize { get; } = outputSize;
    public override Tensor Forward(Tensor input) => F.AdaptiveMaxPool2d(input, OutputSize);
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Max pooling of [N, C, L] to a fixed length (<see cref="F.AdaptiveMaxPool1d"/>).</summary>
public sealed class AdaptiveMaxPool1d(int outputSize) : Module
{
    public int OutputSize { get; } = outputSize;
    public override Tensor Forward(Tensor input) => F.AdaptiveMaxPool1d(input, OutputSize);
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Keras' GlobalAveragePooling2D: the mean of each feature map, [N, C, H, W] → [N, C].</summary>
public sealed class GlobalAvgPool2d : Module
{
    public override Tensor Forward(Tensor input) => F.Flatten(F.AdaptiveAvgPool2d(input, 1), input.Rank - 3);
}

/// <summary>Nearest-neighbour upsampling of [N, C, H, W] by a scale factor or to a size (<see cref="F.UpsampleNearest2d"/>).</summary>
public sealed class Upsample : Module
{
    public Upsample(float? scaleFactor = null, Size2d? size = null, string mode = "nearest")
    {
        if (mode != "nearest") throw new ArgumentException($"Upsample: only mode \"nearest\" is supported, got \"{mode}\".");
        if ((scaleFactor is null) == (size is null)) throw new ArgumentException("Upsample: give exactly one of scaleFactor and size.");
        (ScaleFactor, Size, Mode) = (scaleFactor, size, mode);
    }

    public float? ScaleFactor { get; }
    public Size2d? Size { get; }
    public string Mode { get; }
    public override Tensor Forward(Tensor input) => F.UpsampleNearest2d(input, Size, ScaleFactor);
    protected override string ExtraRepr() => (ScaleFactor is { } s ? $"scale_factor={s}" : $"size={Size}") + $", mode='{Mode}'";
}
