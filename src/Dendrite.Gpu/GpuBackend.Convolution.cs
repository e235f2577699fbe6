using Dendrite.Backends;
using Dendrite.Gpu.Kernels;
using ILGPU;

namespace Dendrite.Gpu;

/// <remarks>
/// Convolution by im2col and GEMM, one sample and group at a time: the group's column matrix [PatchSize, OutSize] is
/// built in scratch memory, and the three directions are products with it (forward W·cols, data Wᵀ·dcols then the
/// gather col2im, weight dcols·colsᵀ summed over the batch). Layouts as the reference's: image [N, C, H, W], columns
/// [N, K, OH, OW], weight [K, C/G, KH, KW].
/// </remarks>
public sealed partial class GpuBackend
{
    private Action<Index1D, Im2ColArgs>? _im2col, _col2im;
    private Action<Index1D, ChannelArgs>? _sumPerChannel, _addPerChannel;

    private ArrayView<float> Im2Col(in ConvGeometry g, ArrayView<float> image, int sample, int group)
    {
        var columns = Scratch(g.PatchSize * g.OutSize);
        Launch(ref _im2col, GpuKernels.Im2Col, g.PatchSize * g.OutSize,
            new Im2ColArgs { Image = image, Columns = columns, G = g, Sample = sample, Group = group });
        return columns;
    }

    public override void ConvForward(in ConvGeometry g, Storage image, Storage weight, Storage? bias, Storage columns,
        PackedWeights? packed = null)
    {
        int kg = g.ColumnChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                var patches = Im2Col(g, View(image), n, group);
                Gemm(false, false, kg, g.OutSize, g.PatchSize, View(weight), group * kg * g.PatchSize, g.PatchSize,
                    patches, 0, g.OutSize, View(columns), (n * g.ColumnChannels + group * kg) * g.OutSize, g.OutSize, false);
            }
        if (bias is not null) AddPerChannel(columns, bias, g.Batch, g.ColumnChannels, g.OutSize);
    }

    public override void ConvBackwardData(in ConvGeometry g, Storage columnsGrad, Storage weight, Storage imageGrad)
    {
        int kg = g.ColumnChannelsPerGroup;
        var patchesGrad = Scratch(g.PatchSize * g.OutSize);
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                Gemm(true, false, g.PatchSize, g.OutSize, kg, View(weight), group * kg * g.PatchSize, g.PatchSize,
                    View(columnsGrad), (n * g.ColumnChannels + group * kg) * g.OutSize, g.OutSize, patchesGrad, 0, g.OutSize, false);
                Launch(ref _col2im, GpuKernels.Col2Im, g.ImageChannelsPerGroup * g.ImageSize,
                    new Im2ColArgs { Image = View(imageGrad), Columns = patchesGrad, G = g, Sample = n, Group = group });
            }
    }

    public override void ConvBackwardWeight(in ConvGeometry g, Storage image, Storage columnsGrad, Storage weightGrad)
    {
        if (g.Batch == 0)
        {
            Fill(weightGrad, 0f);
            return;
        }
        int kg = g.ColumnChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                var patches = Im2Col(g, View(image), n, group);
                Gemm(false, true, kg, g.PatchSize, g.OutSize, View(columnsGrad), (n * g.ColumnChannels + group * kg) * g.OutSize,
                    g.OutSize, patches, 0, g.OutSize, View(weightGrad), group * kg * g.PatchSize, g.PatchSize, accumulate: n > 0);
            }
    }

    public override void ConvBackwardBias(in ConvGeometry g, Storage columnsGrad, Storage biasGrad) =>
        SumPerChannel(columnsGrad, g.Batch, g.ColumnChannels, g.OutSize, biasGrad);

    public override void SumPerChannel(Storage values, int batch, int channels, int size, Storage sums) =>
        Launch(ref _sumPerChannel, GpuKernels.SumPerChannel, channels,
            new ChannelArgs { Values = View(values), PerChannel = View(sums), Batch = batch, Channels = channels, Size = size });

    public override void AddPerChannel(Storage values, Storage perChannel, int batch, int channels, int size) =>
        Launch(ref _addPerChannel, GpuKernels.AddPerChannel, batch * channels * size,
            new ChannelArgs { Values = View(values), PerChannel = View(perChannel), Batch = batch, Channels = channels, Size = size });

    // ------------------------------------------------------------------ pooling and resampling

    private Action<Index1D, PoolArgs>? _maxPool, _maxPoolBackward, _avgPool, _avgPoolBackward;
    private Action<Index1D, ResampleArgs>? _adaptive, _adaptiveBackward, _nearest, _nearestBackward;

    public override void MaxPoolForward(in PoolGeometry g, Storage x, Storage y, Storage argMax) =>
        Launch(ref _maxPool, GpuKernels.MaxPool, g.Planes * g.OutSize,
            new PoolArgs { X = View(x), Y = View(y), ArgMax = View(argMax), G = g });

    public override void MaxPoolBackward(in PoolGeometry g, Storage dy, Storage argMax, Storage dx) =>
        Launch(ref _maxPoolBackward, GpuKernels.MaxPoolBackward, g.Planes * g.ImageSize,
            new PoolArgs { X = View(dy), Y = View(dx), ArgMax = View(argMax), G = g });

    public override void AvgPoolForward(in PoolGeometry g, bool countIncludePad, Storage x, Storage y) =>
        Launch(ref _avgPool, GpuKernels.AvgPool, g.Planes * g.OutSize,
            new PoolArgs { X = View(x), Y = View(y), ArgMax = _placeholder.View, G = g, CountIncludePad = countIncludePad });

    public override void AvgPoolBackward(in PoolGeometry g, bool countIncludePad, Storage dy, Storage dx)
    {
        Fill(dx, 0f);
        Launch(ref _avgPoolBackward, GpuKernels.AvgPoolBackward, g.Planes * g.OutSize,
            new PoolArgs { X = View(dy), Y = View(dx), ArgMax = _placeholder.View, G = g, CountIncludePad = countIncludePad });
    }

    public override void AdaptiveAvgPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y) =>
        Launch(ref _adaptive, GpuKernels.AdaptiveAvgPool, planes * outH * outW,
            new ResampleArgs { X = View(x), Y = View(y), H = h, W = w, OutH = outH, OutW = outW });

    public override void AdaptiveAvgPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx)
    {
        Fill(dx, 0f);
        Launch(ref _adaptiveBackward, GpuKernels.AdaptiveAvgPoolBackward, planes * outH * outW,
            new ResampleArgs { X = View(dy), Y = View(dx), H = h, W = w, OutH = outH, OutW = outW });
    }

    public override void UpsampleNearest(int planes, int h, int w, int outH, int outW, Storage x, Storage y) =>
        Launch(ref _nearest, GpuKernels.UpsampleNearest, planes * outH * outW,
            new ResampleArgs { X = View(x), Y = View(y), H = h, W = w, OutH = outH, OutW = outW });

    public override void UpsampleNearestBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx)
    {
        Fill(dx, 0f);
        Launch(ref _nearestBackward, GpuKernels.UpsampleNearestBackward, planes * outH * outW,
            new ResampleArgs { X = View(dy), Y = View(dx), H = h, W = w, OutH = outH, OutW = outW });
    }
}
