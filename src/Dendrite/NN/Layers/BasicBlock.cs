namespace Dendrite.NN;

/// <summary>
/// The basic residual block of ResNet-18/34 (He et al. 2015; torchvision's <c>BasicBlock</c>):
/// y = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)), with 3×3 convolutions (padding 1, no bias: the batch norm
/// after each supplies it). conv1 carries the stride. The shortcut is the identity when the shape is kept, and a 1×1
/// convolution with the same stride followed by a batch norm (torchvision's "downsample", ResNet's option B) when the
/// stride is not 1 or the channel count changes.
/// </summary>
/// <remarks>Shapes: [N, in, H, W] → [N, out, ⌈H/stride⌉, ⌈W/stride⌉] (⌊(H − 1)/stride⌋ + 1). Children are named as
/// torchvision's ("conv1", "bn1", "conv2", "bn2", "downsample.0", "downsample.1"), so its state-dict keys match.</remarks>
public sealed class BasicBlock : Module
{
    public BasicBlock(int inChannels, int outChannels, int stride = 1, Generator? generator = null)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentOutOfRangeException(inChannels < 1 ? nameof(inChannels) : nameof(outChannels),
                $"BasicBlock: channel counts must be positive, got inChannels={inChannels}, outChannels={outChannels}.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"BasicBlock: stride must be positive, got {stride}.");
        (In, Out, Stride) = (inChannels, outChannels, stride);
        Conv1 = AddModule("conv1", new Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn1 = AddModule("bn1", new BatchNorm2d(outChannels));
        Conv2 = AddModule("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false, generator: generator));
        Bn2 = AddModule("bn2", new BatchNorm2d(outChannels));
        (_first, _second) = (new ConvBatchNormFold(Conv1, Bn1), new ConvBatchNormFold(Conv2, Bn2));
        if (stride != 1 || inChannels != outChannels)
            Downsample = AddModule("downsample", new Sequential(
                new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false, generator: generator),
                new BatchNorm2d(outChannels)));
    }

    private readonly ConvBatchNormFold _first, _second;

    public int In { get; }
    public int Out { get; }
    public int Stride { get; }
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    /// <summary>The projection shortcut (1×1 convolution with the block's stride, then batch norm); null for the identity.</summary>
    public Sequential? Downsample { get; }

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != In)
            throw new ShapeMismatchException($"BasicBlock({In}, {Out}, stride={Stride}): expected input [N, {In}, H, W], got {input.Shape}.");
        if (_first.Applies(input))
        {
            // Evaluation without gradients: each batch norm folded into its convolution, and the second convolution's
            // output transform adds the shortcut and applies the ReLU (see ConvBatchNormFold).
            var hidden = _first.Forward(input, residual: null, relu: true);
            var identity = Downsample is null ? input : Downsample.Call(input);
            if (_second.Applies(hidden, identity)) return _second.Forward(hidden, identity, relu: true);
            return F.ReLU(Bn2.Call(Conv2.Call(hidden)) + identity);
        }
        var residual = F.ReLU(Bn1.Call(Conv1.Call(input)));
        residual = Bn2.Call(Conv2.Call(residual));
        var shortcut = Downsample is null ? input : Downsample.Call(input);
        return F.ReLU(residual + shortcut);
    }
}
