using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite.NN;

/// <summary>
/// A <see cref="Conv2d"/> followed by a <see cref="BatchNorm2d"/> run as one convolution where that changes nothing a
/// caller can see: both in evaluation mode, the norm with running statistics (then an affine map per channel), no
/// gradient wanted (<see cref="F.FoldBatchNorm"/> records nothing) and no forward hooks on either layer. Elsewhere the
/// two layers run as they are, so training and eval-mode gradients (saliency maps) are untouched. The folded weight
/// and bias are kept, with their packing for the backend's kernel, while every tensor they came from keeps its version
/// (an optimiser step, a host write, a running-statistics update, a state-dict load each move it): a model switched
/// back and forth between Train() and Eval() folds again whenever anything changed in between, and only then.
/// </summary>
/// <remarks>Values differ from the two layers' by float rounding (the scale multiplies the weights instead of the
/// output), as PyTorch's fused inference modules do.</remarks>
internal sealed class ConvBatchNormFold(Conv2d conv, BatchNorm2d norm)
{
    private Tensor? _weight, _bias;
    private PackedWeights? _packed;
    private Backend? _backend;
    private readonly int[] _versions = new int[6];

    public Conv2d Conv { get; } = conv;
    public BatchNorm2d Norm { get; } = norm;

    /// <summary>Whether the folded convolution stands in for the two layers on <paramref name="input"/> (and on
    /// <paramref name="residual"/>, when the caller adds one).</summary>
    public bool Applies(Tensor input, Tensor? residual = null)
    {
        if (Conv.Training || Norm.Training || Norm.RunningMean is null || Norm.RunningVar is null || Norm.NumFeatures != Conv.Out
            || Conv.HasForwardHooks || Norm.HasForwardHooks)
            return false;
        if (!GradMode.IsEnabled) return true;
        return !input.RequiresGrad && residual is not { RequiresGrad: true } && !Conv.Weight.RequiresGrad
            && Conv.Bias is not { RequiresGrad: true } && Norm.Weight is not { RequiresGrad: true }
            && Norm.Bias is not { RequiresGrad: true };
    }

    /// <summary>relu?(norm(conv(input)) + residual?) as one <see cref="F.Conv2dAddReLU"/>; only where <see cref="Applies"/>.</summary>
    public Tensor Forward(Tensor input, Tensor? residual, bool relu)
    {
        ConvLayers.CheckInput(Conv, input, 4, Conv.In, "[N, C, H, W]");
        var (weight, bias, packed) = Folded(input);
        return F.Conv2dAddReLU(input, weight, bias, residual, relu, Conv.Stride, Conv.Padding, Conv.Dilation, Conv.Groups, packed);
    }

    private (Tensor Weight, Tensor Bias, PackedWeights? Packed) Folded(Tensor input)
    {
        Span<int> versions =
        [
            Conv.Weight.Version, Conv.Bias?.Version ?? 0, Norm.Weight?.Version ?? 0, Norm.Bias?.Version ?? 0,
            Norm.RunningMean!.Version, Norm.RunningVar!.Version,
        ];
        if (_weight is null || _bias is null || !versions.SequenceEqual(_versions) || !ReferenceEquals(_backend, Conv.Weight.Backend))
        {
            // Made outside any tensor scope: the caller's scope would hand these buffers to other tensors when it ends.
            (_weight, _bias) = TensorScope.Outside(() => F.FoldBatchNorm(Conv.Weight, Conv.Bias, Norm.RunningMean, Norm.RunningVar,
                Norm.Weight, Norm.Bias, Norm.Eps));
            var g = F.Conv2dGeometry(input, _weight, _bias, Conv.Stride, Conv.Padding, Conv.Dilation, Conv.Groups);
            _packed = _weight.Backend.PackConvWeights(g, _weight.Storage);
            versions.CopyTo(_versions);
            _backend = Conv.Weight.Backend;
        }
        return (_weight, _bias, _packed);
    }
}
