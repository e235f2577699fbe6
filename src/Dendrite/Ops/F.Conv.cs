using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

public static partial class F
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as in every deep-learning library): input [N, Cin, H, W], weight
    /// [Cout, Cin/groups, kH, kW], bias [Cout] → [N, Cout, OutH, OutW] with OutH = ⌊(H + 2·pad − dilation·(kH − 1) − 1) / stride⌋ + 1.
    /// </summary>
    /// <param name="padding">Zeros per side, or "same"/"valid" (see <see cref="ConvPadding"/>).</param>
    /// <param name="packedWeight">
    /// <paramref name="weight"/> as <see cref="Backend.PackConvWeights"/> packed it for the forward kernel (a layer in
    /// evaluation mode keeps one), or null. It must hold weight's current values.
    /// </param>
    /// <exception cref="ShapeMismatchException">The input is not 4-D, or its channels, the weight and the bias disagree.</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2d? stride = null,
        ConvPadding padding = default, Size2d? dilation = null, int groups = 1, PackedWeights? packedWeight = null)
    {
        var g = Conv2dGeometry(input, weight, bias, stride ?? 1, padding, dilation ?? 1, groups);
        return Convolve(nameof(Conv2d), input, weight, bias, g, new Shape(g.Batch, g.ColumnChannels, g.OutHeight, g.OutWidth),
            packedWeight);
    }

    /// <summary>
    /// relu(conv2d(input, weight, bias, …) + residual), the addition and the ReLU each optional: a residual block's last
    /// convolution with its epilogue (PyTorch's ConvAddReLU2d in torch.ao.nn.intrinsic, in float). The arguments mean what
    /// they mean in <see cref="Conv2d"/>; <paramref name="residual"/> has the convolution's output shape. A backend that
    /// fuses the epilogue adds and clamps while each part of the output is still in its caches (the CPU: in Winograd's
    /// output transform); either way the values and the gradients are those of ReLU(Conv2d(…) + residual), to the bit.
    /// </summary>
    /// <param name="packedWeight">As in <see cref="Conv2d"/>: the weight packed for the forward kernel, or null.</param>
    /// <exception cref="ShapeMismatchException">As <see cref="Conv2d"/>, or the residual's shape is not the output's.</exception>
    public static Tensor Conv2dAddReLU(Tensor input, Tensor weight, Tensor? bias = null, Tensor? residual = null, bool relu = true,
        Size2d? stride = null, ConvPadding padding = default, Size2d? dilation = null, int groups = 1, PackedWeights? packedWeight = null)
    {
        const string op = nameof(Conv2dAddReLU);
        var g = Conv2dGeometry(input, weight, bias, stride ?? 1, padding, dilation ?? 1, groups);
        var outputShape = new Shape(g.Batch, g.ColumnChannels, g.OutHeight, g.OutWidth);
        if (residual is not null && residual.Shape != outputShape)
            throw new ShapeMismatchException($"{op}: expected a residual {outputShape} (the convolution's output), got {residual.Shape}.");
        CheckConvDevices(op, input, weight, bias);
        CheckSameDevice(op, input, residual, "input", "residual");
        var y = Tensor.Empty(outputShape, input.Device);
        input.Backend.ConvForwardAddRelu(g, input.Storage, weight.Storage, bias?.Storage, residual?.Storage, relu, y.Storage, packedWeight);
        Tensor[] inputs =
            [input, weight, .. bias is null ? Array.Empty<Tensor>() : [bias], .. residual is null ? Array.Empty<Tensor>() : [residual]];
        return Tape.Record(y, op, inputs, dy =>
        {
            var dz = dy;
            if (relu)
            {
                // relu′(z) = [z > 0] = [y > 0]: the output stands in for the sum it clamped, which was never kept.
                dz = Tensor.Empty(y.Shape, y.Device);
                y.Backend.UnaryBackward(UnaryOp.Relu, y.Storage, y.Storage, dy.Storage, dz.Storage);
            }
            var convolution = ConvolveBackward(g, input, weight, bias, dz);
            return residual is null ? convolution : [.. convolution, residual.RequiresGrad ? dz : null];
        });
    }

    /// <summary>
    /// The weight and bias of one convolution computing batch_norm(conv2d(x, weight, bias)) with the norm's running
    /// statistics, as in evaluation: weight·s per output channel and bias·s + (β − mean·s), s = γ/√(var + eps)
    /// (PyTorch's torch.nn.utils.fusion.fuse_conv_bn_weights). Values only: nothing is recorded, so callers fold only
    /// where no gradient is wanted. γ and β may be null (1 and 0), and so may the convolution's bias (0).
    /// </summary>
    internal static (Tensor Weight, Tensor Bias) FoldBatchNorm(Tensor weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        Tensor? gamma, Tensor? beta, float eps)
    {
        int outChannels = weight.Shape[0], perChannel = weight.Numel / outChannels;
        var backend = weight.Backend;
        var device = weight.Device;
        var channels = new Shape(outChannels);
        var scale = Tensor.Empty(channels, device);
        var shift = Tensor.Empty(channels, device);
        backend.BatchNormEvalCoefficients(runningMean.Storage, runningVar.Storage, gamma?.Storage, beta?.Storage, eps, scale.Storage,
            shift.Storage, Tensor.Empty(channels, device).Storage);
        var folded = Tensor.Empty(weight.Shape, device);
        backend.ScaleShift(1, outChannels, perChannel, weight.Storage, scale.Storage, null, folded.Storage);
        if (bias is null) return (folded, shift);
        var foldedBias = Tensor.Empty(channels, device);
        backend.ScaleShift(1, outChannels, 1, bias.Storage, scale.Storage, shift.Storage, foldedBias.Storage);
        return (folded, foldedBias);
    }

    /// <summary>The geometry of <see cref="Conv2d"/> for these arguments, checked as Conv2d checks them.</summary>
    internal static ConvGeometry Conv2dGeometry(Tensor input, Tensor weight, Tensor? bias, Size2d stride, ConvPadding padding,
        Size2d dilation, int groups)
    {
        const string op = nameof(Conv2d);
        if (input.Rank != 4)
            throw new ShapeMismatchException($"{op}: expected a 4-D input [N, C, H, W], got {input.Shape}.");
        if (weight.Rank != 4)
            throw new ShapeMismatchException($"{op}: expected a 4-D weight [Cout, Cin/groups, kH, kW], got {weight.Shape}.");
        return ConvolutionGeometry(op, input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3], weight.Shape,
            weight.Shape[2], weight.Shape[3], stride, padding, dilation, groups, bias);
    }

    /// <summary>
    /// 1-D convolution: input [N, Cin, L], weight [Cout, Cin/groups, k], bias [Cout] → [N, Cout, OutL] with
    /// OutL = ⌊(L + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1. The course's sliding kernel over a signal.
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1,
        ConvPadding padding = default, int dilation = 1, int groups = 1)
    {
        const string op = nameof(Conv1d);
        if (input.Rank != 3)
            throw new ShapeMismatchException($"{op}: expected a 3-D input [N, C, L], got {input.Shape}.");
        if (weight.Rank != 3)
            throw new ShapeMismatchException($"{op}: expected a 3-D weight [Cout, Cin/groups, k], got {weight.Shape}.");
        var g = ConvolutionGeometry(op, input.Shape[0], input.Shape[1], 1, input.Shape[2], weight.Shape,
            1, weight.Shape[2], (1, stride), ToRow(padding), (1, dilation), groups, bias);
        return Convolve(op, input, weight, bias, g, new Shape(g.Batch, g.ColumnChannels, g.OutWidth));
    }

    /// <summary>
    /// 2-D transposed convolution, the adjoint of <see cref="Conv2d"/> (a learned upsampling): input [N, Cin, H, W],
    /// weight [Cin, Cout/groups, kH, kW], bias [Cout] → [N, Cout, OutH, OutW] with
    /// OutH = (H − 1)·stride − 2·pad + dilation·(kH − 1) + outputPadding + 1.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Size2d? stride = null,
        Size2d? padding = null, Size2d? outputPadding = null, int groups = 1, Size2d? dilation = null)
    {
        const string op = nameof(ConvTranspose2d);
        if (input.Rank != 4)
            throw new ShapeMismatchException($"{op}: expected a 4-D input [N, C, H, W], got {input.Shape}.");
        if (weight.Rank != 4)
            throw new ShapeMismatchException($"{op}: expected a 4-D weight [Cin, Cout/groups, kH, kW], got {weight.Shape}.");
        var g = TransposedGeometry(op, input.Shape, weight.Shape, weight.Shape[2], weight.Shape[3],
            stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1, groups, bias);
        return ConvolveTransposed(op, input, weight, bias, g, new Shape(g.Batch, g.ImageChannels, g.Height, g.Width));
    }

    /// <summary>1-D transposed convolution: input [N, Cin, L], weight [Cin, Cout/groups, k] → [N, Cout, OutL].</summary>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1,
        int padding = 0, int outputPadding = 0, int groups = 1, int dilation = 1)
    {
        const string op = nameof(ConvTranspose1d);
        if (input.Rank != 3)
            throw new ShapeMismatchException($"{op}: expected a 3-D input [N, C, L], got {input.Shape}.");
        if (weight.Rank != 3)
            throw new ShapeMismatchException($"{op}: expected a 3-D weight [Cin, Cout/groups, k], got {weight.Shape}.");
        var g = TransposedGeometry(op, new Shape(input.Shape[0], input.Shape[1], 1, input.Shape[2]), weight.Shape,
            1, weight.Shape[2], (1, stride), (0, padding), (0, outputPadding), (1, dilation), groups, bias);
        return ConvolveTransposed(op, input, weight, bias, g, new Shape(g.Batch, g.ImageChannels, g.Width));
    }

    /// <summary>columns = weight ⊛ input: the forward pass of a convolution and the backward pass of its transpose.</summary>
    private static Tensor Convolve(string op, Tensor input, Tensor weight, Tensor? bias, ConvGeometry g, Shape outputShape,
        PackedWeights? packedWeight = null)
    {
        CheckConvDevices(op, input, weight, bias);
        var y = Tensor.Empty(outputShape, input.Device);
        input.Backend.ConvForward(g, input.Storage, weight.Storage, bias?.Storage, y.Storage, packedWeight);
        return Tape.Record(y, op, bias is null ? [input, weight] : [input, weight, bias], dy => ConvolveBackward(g, input, weight, bias, dy));
    }

    /// <summary>The gradients of input, weight and bias (those that need one) from the output gradient <paramref name="dy"/>.</summary>
    private static Tensor?[] ConvolveBackward(ConvGeometry g, Tensor input, Tensor weight, Tensor? bias, Tensor dy)
    {
        Tensor? dx = null, dw = null, db = null;
        if (input.RequiresGrad)
        {
            dx = Tensor.Empty(input.Shape, input.Device);
            input.Backend.ConvBackwardData(g, dy.Storage, weight.Storage, dx.Storage);
        }
        if (weight.RequiresGrad)
        {
            dw = Tape.NewGradient(weight);
            input.Backend.ConvBackwardWeight(g, input.Storage, dy.Storage, dw.Storage);
        }
        if (bias is { RequiresGrad: true })
        {
            db = Tape.NewGradient(bias);
            input.Backend.ConvBackwardBias(g, dy.Storage, db.Storage);
        }
        return bias is null ? [dx, dw] : [dx, dw, db];
    }

    /// <summary>
    /// A convolution block as one op: dropout(max_pool2d(relu(conv2d(x, weight, bias, …)), 2)), where x is relu(input)
    /// when <paramref name="reluInput"/> and the dropout (probability <paramref name="dropout"/>, in training only) is
    /// left out at 0. The arguments mean what they mean in <see cref="Conv2d"/>, <see cref="MaxPool2d"/> (kernel and
    /// stride 2, <paramref name="ceilMode"/>) and <see cref="Dropout"/>. A backend that has a fused kernel for the
    /// geometry runs it (the CPU: Winograd's 2×2 output tiles are the pooling windows, so neither the convolution's
    /// output nor relu(input) is ever written); otherwise the separate ops run. Either way the values, the gradients and
    /// the dropout mask's draw are the separate ops', to the bit.
    /// </summary>
    /// <param name="packedWeight">As in <see cref="Conv2d"/>: the weight packed for the forward kernel, or null.</param>
    public static Tensor Conv2dReluMaxPool2d(Tensor input, Tensor weight, Tensor? bias = null, Size2d? stride = null,
        ConvPadding padding = default, Size2d? dilation = null, int groups = 1, bool ceilMode = false, bool reluInput = false,
        float dropout = 0f, bool training = true, Generator? generator = null, PackedWeights? packedWeight = null)
    {
        CheckDropoutProbability(nameof(Dropout), dropout);
        float p = training ? dropout : 0f;
        var fused = Conv2dReluMaxPool2x2(input, weight, bias, stride ?? 1, padding, dilation ?? 1, groups, ceilMode, reluInput, p,
            generator ?? Generator.Default, packedWeight);
        if (fused is not null) return fused;
        var x = reluInput ? ReLU(input) : input;
        // Pooling before ReLU is the same, exactly (ReLU keeps order), and ReLU then touches a quarter of the values.
        var y = ReLU(MaxPool2d(Conv2d(x, weight, bias, stride, padding, dilation, groups, packedWeight), 2, ceilMode: ceilMode));
        return p > 0f ? Dropout(y, p, training: true, generator) : y;
    }

    /// <summary>The fused kernel of <see cref="Conv2dReluMaxPool2d"/>, or null when the backend declines the geometry.</summary>
    private static Tensor? Conv2dReluMaxPool2x2(Tensor input, Tensor weight, Tensor? bias, Size2d stride, ConvPadding padding,
        Size2d dilation, int groups, bool ceilMode, bool reluInput, float dropout, Generator generator, PackedWeights? packedWeight)
    {
        const string op = nameof(Conv2d);
        if (input.Rank != 4 || weight.Rank != 4) return null;
        var g = ConvolutionGeometry(op, input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3], weight.Shape,
            weight.Shape[2], weight.Shape[3], stride, padding, dilation, groups, bias);
        var backend = input.Backend;
        // In ceil mode an odd side has a last, half window: the tiles no longer match the windows.
        if (!backend.FitsConvReluMaxPool(g) || (ceilMode && (g.OutHeight % 2 != 0 || g.OutWidth % 2 != 0))) return null;
        CheckConvDevices(op, input, weight, bias);
        var y = Tensor.Empty(new Shape(g.Batch, g.ColumnChannels, g.OutHeight / 2, g.OutWidth / 2), input.Device);
        // Per pooled value, which position of its window won (or that ReLU closed it), in the backend's own coding.
        var codes = Tensor.Empty(new Shape(backend.ConvReluMaxPoolCodeLength(g)), input.Device);
        backend.ConvReluMaxPoolForward(g, input.Storage, weight.Storage, bias?.Storage, y.Storage, codes.Storage, reluInput, packedWeight);
        Tensor? dropMask = null;
        if (dropout > 0f)
        {
            // F.Dropout's draw and product, on the pooled values.
            (y, dropMask) = DropoutValues(y, dropout, generator);
        }
        string name = (reluInput ? "ReLU+Conv2d+ReLU+MaxPool2d" : "Conv2d+ReLU+MaxPool2d") + (dropMask is null ? "" : "+Dropout");
        return Tape.Record(y, name, bias is null ? [input, weight] : [input, weight, bias], dPooled =>
        {
            Tensor? dx = input.RequiresGrad ? Tensor.Empty(input.Shape, input.Device) : null;
            Tensor? dw = weight.RequiresGrad ? Tape.NewGradient(weight) : null;
            Tensor? db = bias is { RequiresGrad: true } ? Tape.NewGradient(bias) : null;
            backend.ConvReluMaxPoolBackward(g, dPooled.Storage, codes.Storage, dropMask?.Storage, input.Storage, weight.Storage,
                dx?.Storage, dw?.Storage, db?.Storage, reluInput);
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    /// <summary>The transposed convolution runs the geometry backwards: its input is the column side.</summary>
    private static Tensor ConvolveTransposed(string op, Tensor input, Tensor weight, Tensor? bias, ConvGeometry g, Shape outputShape)
    {
        CheckConvDevices(op, input, weight, bias);
        var backend = input.Backend;
        var y = Tensor.Empty(outputShape, input.Device);
        backend.ConvBackwardData(g, input.Storage, weight.Storage, y.Storage);
        if (bias is not null) backend.AddPerChannel(y.Storage, bias.Storage, g.Batch, g.ImageChannels, g.ImageSize);
        return Tape.Record(y, op, bias is null ? [input, weight] : [input, weight, bias], dy =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (input.RequiresGrad)
            {
                dx = Tensor.Empty(input.Shape, input.Device);
                backend.ConvForward(g, dy.Storage, weight.Storage, null, dx.Storage);
            }
            if (weight.RequiresGrad)
            {
                dw = Tensor.Empty(weight.Shape, input.Device);
                backend.ConvBackwardWeight(g, dy.Storage, input.Storage, dw.Storage);
            }
            if (bias is { RequiresGrad: true })
            {
                db = Tensor.Empty(bias.Shape, input.Device);
                backend.SumPerChannel(dy.Storage, g.Batch, g.ImageChannels, g.ImageSize, db.Storage);
            }
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    private static void CheckConvDevices(string op, Tensor input, Tensor weight, Tensor? bias)
    {
        CheckSameDevice(op, input, weight, "input", "weight");
        CheckSameDevice(op, input, bias, "input", "bias");
    }

    private static ConvGeometry ConvolutionGeometry(string op, int batch, int channels, int height, int width, Shape weightShape,
        int kernelH, int kernelW, Size2d stride, ConvPadding padding, Size2d dilation, int groups, Tensor? bias)
    {
        int outChannels = weightShape[0];
        CheckConvArguments(op, stride, dilation, groups, outChannels, "output channels (weight dim 0)", weightShape);
        if (channels != weightShape[1] * groups)
            throw new ShapeMismatchException($"{op}: input has {channels} channels but weight {weightShape} with groups={groups} " +
                $"expects {weightShape[1] * groups} (weight dim 1 × groups).");
        CheckBias(op, bias, outChannels);
        if (padding.Mode == "same" && (stride.H != 1 || stride.W != 1))
            throw new ArgumentException($"{op}: padding=\"same\" needs stride 1, got stride {stride}.");
        var (top, bottom) = padding.Resolve(padding.Amount.H, dilation.H * (kernelH - 1));
        var (left, right) = padding.Resolve(padding.Amount.W, dilation.W * (kernelW - 1));
        if (top < 0 || left < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding must be >= 0, got {padding}.");
        var g = new ConvGeometry
        {
            Batch = batch, ImageChannels = channels, Height = height, Width = width, ColumnChannels = outChannels,
            KernelH = kernelH, KernelW = kernelW, StrideH = stride.H, StrideW = stride.W, PadTop = top, PadBottom = bottom,
            PadLeft = left, PadRight = right, DilationH = dilation.H, DilationW = dilation.W, Groups = groups,
        };
        if (height + top + bottom < dilation.H * (kernelH - 1) + 1 || width + left + right < dilation.W * (kernelW - 1) + 1)
            throw new ShapeMismatchException($"{op}: input {height}×{width} (padded {height + top + bottom}×{width + left + right}) " +
                $"is smaller than the kernel's reach {dilation.H * (kernelH - 1) + 1}×{dilation.W * (kernelW - 1) + 1}.");
        return g;
    }

    private static ConvGeometry TransposedGeometry(string op, Shape input, Shape weightShape, int kernelH, int kernelW,
        Size2d stride, Size2d padding, Size2d outputPadding, Size2d dilation, int groups, Tensor? bias)
    {
        int inChannels = weightShape[0], outChannels = weightShape[1] * groups;
        CheckConvArguments(op, stride, dilation, groups, inChannels, "input channels (weight dim 0)", weightShape);
        if (input[1] != inChannels)
            throw new ShapeMismatchException($"{op}: input has {input[1]} channels but weight {weightShape} expects {inChannels} (weight dim 0).");
        CheckBias(op, bias, outChannels);
        if (padding.H < 0 || padding.W < 0 || outputPadding.H < 0 || outputPadding.W < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding and outputPadding must be >= 0.");
        if ((outputPadding.H >= stride.H && outputPadding.H >= dilation.H) || (outputPadding.W >= stride.W && outputPadding.W >= dilation.W))
            throw new ArgumentException($"{op}: outputPadding {outputPadding} must be smaller than stride {stride} or dilation {dilation}.");
        int outH = (input[2] - 1) * stride.H - 2 * padding.H + dilation.H * (kernelH - 1) + outputPadding.H + 1;
        int outW = (input[3] - 1) * stride.W - 2 * padding.W + dilation.W * (kernelW - 1) + outputPadding.W + 1;
        if (outH <= 0 || outW <= 0)
            throw new ShapeMismatchException($"{op}: input {input} with this kernel, stride and padding gives an empty output ({outH}×{outW}).");
        // The convolution from the output back to the input: its extra bottom/right padding absorbs outputPadding.
        return new ConvGeometry
        {
            Batch = input[0], ImageChannels = outChannels, Height = outH, Width = outW, ColumnChannels = inChannels,
            KernelH = kernelH, KernelW = kernelW, StrideH = stride.H, StrideW = stride.W, PadTop = padding.H,
            PadBottom = padding.H, PadLeft = padding.W, PadRight = padding.W, DilationH = dilation.H, DilationW = dilation.W,
            Groups = groups,
        };
    }

    private static void CheckConvArguments(string op, Size2d stride, Size2d dilation, int groups, int weightChannels, string what,
        Shape weightShape)
    {
        if (weightShape.Numel == 0)
            throw new ShapeMismatchException($"{op}: the weight {weightShape} is empty (a kernel side or a channel count is 0).");
        if (stride.H < 1 || stride.W < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: stride must be >= 1, got {stride}.");
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentOutOfRangeException(nameof(dilation), $"{op}: dilation must be >= 1, got {dilation}.");
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), $"{op}: groups must be >= 1, got {groups}.");
        if (weightChannels % groups != 0)
            throw new ShapeMismatchException($"{op}: {what} = {weightChannels} is not divisible by groups = {groups}.");
    }

    private static void CheckBias(string op, Tensor? bias, int channels)
    {
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != channels))
            throw new ShapeMismatchException($"{op}: expected bias [{channels}], got {bias.Shape}.");
    }

    /// <summary>A 1-D padding as the width part of a 2-D one (no rows added).</summary>
    private static ConvPadding ToRow(ConvPadding padding) => padding.Mode == "explicit" ? (0, padding.Amount.W) : padding;
}
