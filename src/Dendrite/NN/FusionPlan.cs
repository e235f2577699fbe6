namespace Dendrite.NN;

/// <summary>The fused ops a <see cref="FusionPlan"/> can put in place of a run of layers.</summary>
internal enum FusionKind
{
    /// <summary>One layer, on its own.</summary>
    None,

    /// <summary>[Conv2d, ReLU, MaxPool2d(2)] and an optional Dropout: <see cref="F.Conv2dReluMaxPool2d"/>.</summary>
    ConvReluMaxPool,

    /// <summary>[ReLU, Conv2d, ReLU, MaxPool2d(2)] and an optional Dropout: the same op reading relu(input).</summary>
    ReluConvReluMaxPool,

    /// <summary>[ReLU, MaxPool2d or MaxPool1d], run as pooling then ReLU: the same values and gradients, exactly.</summary>
    ReluBeforeMaxPool,

    /// <summary>[Conv2d, BatchNorm2d] and an optional ReLU: in evaluation without gradients, one convolution with the
    /// norm folded in (<see cref="ConvBatchNormFold"/>); otherwise the layers one by one.</summary>
    ConvBatchNorm,
}

/// <summary>A run of <see cref="Count"/> layers from <see cref="First"/> that one op replaces (or one plain layer).</summary>
internal readonly record struct FusionSegment(int First, int Count, FusionKind Kind, ConvBatchNormFold? Fold = null)
{
    /// <summary>Whether the fused op runs for this input now; a segment that only fuses in some modes (a batch norm
    /// folded in evaluation) otherwise runs its layers one by one.</summary>
    public bool Fuses(Tensor x) => Kind != FusionKind.None && (Fold is null || Fold.Applies(x));

    /// <summary>Runs the segment's layers as its fused op.</summary>
    public Tensor RunFused(List<Module> layers, Tensor x)
    {
        if (Kind == FusionKind.ReluBeforeMaxPool)
        {
            // max(relu(x)) = relu(max(x)) exactly, and so are the gradients (ReLU keeps order, and a window whose max it
            // zeroes passes no gradient either way); ReLU then touches a quarter of the values, forward and backward.
            return layers[First].Forward(layers[First + 1].Forward(x));
        }
        if (Fold is not null) return Fold.Forward(x, residual: null, relu: Count == 3);
        bool reluInput = Kind == FusionKind.ReluConvReluMaxPool;
        int convAt = First + (reluInput ? 1 : 0);
        var conv = (Conv2d)layers[convAt];
        var pool = (MaxPool2d)layers[convAt + 2];
        var dropout = convAt + 3 < First + Count ? (Dropout)layers[convAt + 3] : null;
        ConvLayers.CheckInput(conv, x, 4, conv.In, "[N, C, H, W]");
        return F.Conv2dReluMaxPool2d(x, conv.Weight, conv.Bias, conv.Stride, conv.Padding, conv.Dilation, conv.Groups, pool.CeilMode,
            reluInput, dropout?.P ?? 0f, dropout?.Training ?? false, packedWeight: conv.PackedForEvaluation(x));
    }
}

/// <summary>
/// Plans which runs of a <see cref="Sequential"/>'s layers run as one fused op, once per sequence of layers (as
/// PyTorch's <c>fuse_modules</c> rewrites a model once): a convolution block [ReLU?, Conv2d, ReLU, MaxPool2d(2),
/// Dropout?] becomes <see cref="F.Conv2dReluMaxPool2d"/>, and ReLU before max pooling becomes pooling then ReLU. Each
/// fused op gives the separate layers' values and gradients to the bit.
/// </summary>
internal static class FusionPlan
{
    public static FusionSegment[] Of(List<Module> layers)
    {
        var plan = new List<FusionSegment>();
        for (int i = 0; i < layers.Count;)
        {
            var segment = ConvolutionBlockAt(layers, i)
                ?? ConvBatchNormAt(layers, i)
                ?? (layers[i] is ReLU && i + 1 < layers.Count && layers[i + 1] is MaxPool2d or MaxPool1d
                    ? new FusionSegment(i, 2, FusionKind.ReluBeforeMaxPool)
                    : new FusionSegment(i, 1, FusionKind.None));
            plan.Add(segment);
            i += segment.Count;
        }
        return [.. plan];
    }

    private static FusionSegment? ConvolutionBlockAt(List<Module> layers, int i)
    {
        bool reluInput = layers[i] is ReLU;
        int c = reluInput ? i + 1 : i;
        if (c + 2 >= layers.Count || layers[c] is not Conv2d || layers[c + 1] is not ReLU || layers[c + 2] is not MaxPool2d pool
            || !IsHalving(pool))
            return null;
        int count = c + 3 - i + (c + 3 < layers.Count && layers[c + 3] is Dropout ? 1 : 0);
        return new FusionSegment(i, count, reluInput ? FusionKind.ReluConvReluMaxPool : FusionKind.ConvReluMaxPool);
    }

    /// <summary>[Conv2d, BatchNorm2d, ReLU?] at i. A ReLU that max pooling follows is left to pair with the pooling
    /// (<see cref="FusionKind.ReluBeforeMaxPool"/>), which pays in training too.</summary>
    private static FusionSegment? ConvBatchNormAt(List<Module> layers, int i)
    {
        if (i + 1 >= layers.Count || layers[i] is not Conv2d conv || layers[i + 1] is not BatchNorm2d norm) return null;
        bool relu = i + 2 < layers.Count && layers[i + 2] is ReLU && !(i + 3 < layers.Count && layers[i + 3] is MaxPool2d or MaxPool1d);
        return new FusionSegment(i, relu ? 3 : 2, FusionKind.ConvBatchNorm, new ConvBatchNormFold(conv, norm));
    }

    private static bool IsHalving(MaxPool2d pool) =>
        pool.KernelSize == new Size2d(2, 2) && pool.Stride == new Size2d(2, 2) && pool.Padding == new Size2d(0, 0)
        && pool.Dilation == new Size2d(1, 1);
}
