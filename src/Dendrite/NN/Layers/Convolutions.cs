using Dendrite.Backends;

namespace Dendrite.NN;

/// <summary>
/// 2-D convolution layer (<see cref="F.Conv2d"/>): weight [Out, In/groups, kH, kW], bias [Out].
/// Init as PyTorch: weight and bias ~ U(−1/√fanIn, 1/√fanIn) with fanIn = In/groups · kH · kW.
/// </summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, Size2d kernelSize, Size2d? stride = null, ConvPadding padding = default,
        Size2d? dilation = null, int groups = 1, bool bias = true, Generator? generator = null)
    {
        (In, Out, KernelSize) = (inChannels, outChannels, kernelSize);
        (Stride, Padding, Dilation, Groups) = (stride ?? 1, padding, dilation ?? 1, groups);
        ConvLayers.CheckChannels(this, inChannels, outChannels, groups);
        ConvLayers.CheckKernel(this, kernelSize.H, kernelSize.W, kernelSize);
        Weight = AddParameter("weight", new Shape(outChannels, inChannels / groups, kernelSize.H, kernelSize.W));
        Bias = bias ? AddParameter("bias", new Shape(outChannels)) : null;
        ConvLayers.ResetParameters(Weight, Bias, inChannels / groups * kernelSize.H * kernelSize.W, generator);
    }

    public int In { get; }
    public int Out { get; }
    public Size2d KernelSize { get; }
    public Size2d Stride { get; }
    public ConvPadding Padding { get; }
    public Size2d Dilation { get; }
    public int Groups { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        ConvLayers.CheckInput(this, input, 4, In, "[N, C, H, W]");
        return F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups, PackedForEvaluation(input));
    }

    private PackedWeights? _packed;
    private int _packedVersion;
    private Backend? _packedBy;

    /// <summary>
    /// In evaluation mode, the weight packed for the backend's forward kernel (<see cref="Backend.PackConvWeights"/>):
    /// packed on the first call and kept while the weight's values stay (its version: any write through the tensor API or
    /// an optimiser step counts), so that inference one image at a time does not re-transform the weights each call.
    /// Null in training, where every step changes them, and where the backend packs nothing for this geometry.
    /// </summary>
    internal PackedWeights? PackedForEvaluation(Tensor input)
    {
        if (Training) return _packed = null;
        if (_packed is not null && _packedVersion == Weight.Version && ReferenceEquals(_packedBy, Weight.Backend)) return _packed;
        var g = F.Conv2dGeometry(input, Weight, Bias, Stride, Padding, Dilation, Groups);
        _packed = Weight.Backend.PackConvWeights(g, Weight.Storage);
        (_packedVersion, _packedBy) = (Weight.Version, Weight.Backend);
        return _packed;
    }

    protected override string ExtraRepr() => ConvLayers.Repr(In, Out, KernelSize, Stride, Padding.ToString(), Dilation, Groups, Bias);
}

/// <summary>1-D convolution layer (<see cref="F.Conv1d"/>) over [N, C, L] signals: weight [Out, In/groups, k], bias [Out].</summary>
public sealed class Conv1d : Module
{
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, ConvPadding padding = default,
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
    {
        (In, Out, KernelSize) = (inChannels, outChannels, kernelSize);
        (Stride, Padding, Dilation, Groups) = (stride, padding, dilation, groups);
        ConvLayers.CheckChannels(this, inChannels, outChannels, groups);
        ConvLayers.CheckKernel(this, 1, kernelSize, kernelSize);
        Weight = AddParameter("weight", new Shape(outChannels, inChannels / groups, kernelSize));
        Bias = bias ? AddParameter("bias", new Shape(outChannels)) : null;
        ConvLayers.ResetParameters(Weight, Bias, inChannels / groups * kernelSize, generator);
    }

    public int In { get; }
    public int Out { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public ConvPadding Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        ConvLayers.CheckInput(this, input, 3, In, "[N, C, L]");
        return F.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
    }

    protected override string ExtraRepr() =>
        ConvLayers.Repr(In, Out, KernelSize, Stride, Padding.Mode == "explicit" ? $"{Padding.Amount.W}" : Padding.ToString(), Dilation, Groups, Bias);
}

/// <summary>
/// 2-D transposed convolution layer (<see cref="F.ConvTranspose2d"/>), the learned upsampling of decoders and GAN
/// generators: weight [In, Out/groups, kH, kW], bias [Out]; fanIn for the init is Out/groups · kH · kW, as in PyTorch.
/// </summary>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int inChannels, int outChannels, Size2d kernelSize, Size2d? stride = null, Size2d? padding = null,
        Size2d? outputPadding = null, int groups = 1, bool bias = true, Size2d? dilation = null, Generator? generator = null)
    {
        (In, Out, KernelSize) = (inChannels, outChannels, kernelSize);
        (Stride, Padding, OutputPadding, Groups, Dilation) = (stride ?? 1, padding ?? 0, outputPadding ?? 0, groups, dilation ?? 1);
        ConvLayers.CheckChannels(this, inChannels, outChannels, groups);
        ConvLayers.CheckKernel(this, kernelSize.H, kernelSize.W, kernelSize);
        Weight = AddParameter("weight", new Shape(inChannels, outChannels / groups, kernelSize.H, kernelSize.W));
        Bias = bias ? AddParameter("bias", new Shape(outChannels)) : null;
        ConvLayers.ResetParameters(Weight, Bias, outChannels / groups * kernelSize.H * kernelSize.W, generator);
    }

    public int In { get; }
    public int Out { get; }
    public Size2d KernelSize { get; }
    public Size2d Stride { get; }
    public Size2d Padding { get; }
    public Size2d OutputPadding { get; }
    public int Groups { get; }
    public Size2d Dilation { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        ConvLayers.CheckInput(this, input, 4, In, "[N, C, H, W]");
        return F.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);
    }

    protected override string ExtraRepr() =>
        ConvLayers.Repr(In, Out, KernelSize, Stride, Padding.ToString(), Dilation, Groups, Bias) +
        (OutputPadding != new Size2d(0, 0) ? $", output_padding={OutputPadding}" : "");
}

/// <summary>1-D transposed convolution layer (<see cref="F.ConvTranspose1d"/>): weight [In, Out/groups, k], bias [Out].</summary>
public sealed class ConvTranspose1d : Module
{
    public ConvTranspose1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null)
    {
        (In, Out, KernelSize) = (inChannels, outChannels, kernelSize);
        (Stride, Padding, OutputPadding, Groups, Dilation) = (stride, padding, outputPadding, groups, dilation);
        ConvLayers.CheckChannels(this, inChannels, outChannels, groups);
        ConvLayers.CheckKernel(this, 1, kernelSize, kernelSize);
        Weight = AddParameter("weight", new Shape(inChannels, outChannels / groups, kernelSize));
        Bias = bias ? AddParameter("bias", new Shape(outChannels)) : null;
        ConvLayers.ResetParameters(Weight, Bias, outChannels / groups * kernelSize, generator);
    }

    public int In { get; }
    public int Out { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int OutputPadding { get; }
    public int Groups { get; }
    public int Dilation { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        ConvLayers.CheckInput(this, input, 3, In, "[N, C, L]");
        return F.ConvTranspose1d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);
    }

    protected override string ExtraRepr() =>
        ConvLayers.Repr(In, Out, KernelSize, Stride, $"{Padding}", Dilation, Groups, Bias) +
        (OutputPadding != 0 ? $", output_padding={OutputPadding}" : "");
}

/// <summary>What the convolution layers share: argument checks, the input check naming the layer, init and repr.</summary>
internal static class ConvLayers
{
    /// <summary>Kernel sides must be positive: a 0-sized kernel has no taps to slide.</summary>
    public static void CheckKernel(Module layer, int kernelH, int kernelW, object shown)
    {
        if (kernelH < 1 || kernelW < 1)
            throw new ArgumentOutOfRangeException("kernelSize", $"{layer.GetType().Name}: kernel size must be positive, got {shown}.");
    }

    public static void CheckChannels(Module layer, int inChannels, int outChannels, int groups)
    {
        string name = layer.GetType().Name;
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"{name}: channel counts must be positive, got in={inChannels}, out={outChannels}.");
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{name}: groups = {groups} must divide both in_channels = {inChannels} and out_channels = {outChannels}.");
    }

    /// <summary>Names the layer, as configured, in the error: a Conv2d deep in a model is found by its arguments.</summary>
    public static void CheckInput(Module layer, Tensor input, int rank, int channels, string layout)
    {
        if (input.Rank == rank && input.Shape[1] == channels) return;
        string expected = layout.Replace("C", channels.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string hint = input.Rank == rank - 1 && input.Shape[0] == channels ? " Hint: add a batch dimension (Unsqueeze(0))." : "";
        throw new ShapeMismatchException($"{layer}: expected input {expected} ({rank}-D with {channels} channels), got {input.Shape}.{hint}");
    }

    public static void ResetParameters(Parameter weight, Parameter? bias, int fanIn, Generator? generator)
    {
        float bound = 1f / MathF.Sqrt(fanIn);
        Init.Uniform(weight, -bound, bound, generator);
        if (bias is not null) Init.Uniform(bias, -bound, bound, generator);
    }

    public static string Repr<TSize>(int inChannels, int outChannels, TSize kernel, TSize stride, string padding, TSize dilation,
        int groups, Parameter? bias) where TSize : notnull
    {
        var text = $"{inChannels}, {outChannels}, kernel_size={kernel}, stride={stride}";
        if (padding != "0") text += $", padding={padding}";
        if (dilation.ToString() != "1") text += $", dilation={dilation}";
        if (groups != 1) text += $", groups={groups}";
        if (bias is null) text += ", bias=False";
        return text;
    }
}
