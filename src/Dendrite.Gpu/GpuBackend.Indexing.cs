using Dendrite.Backends;
using Dendrite.Gpu.Kernels;
using ILGPU;

namespace Dendrite.Gpu;

public sealed partial class GpuBackend
{
    private Action<Index1D, WhereArgs>? _where;
    private Action<Index1D, GatherArgs>? _gatherAlong, _scatterAddAlong;
    private Action<Index1D, SortArgs>? _sortIndices;
    private Action<Index1D, AdaptiveMaxArgs>? _adaptiveMax, _adaptiveMaxBackward;

    public override void Where(Storage condition, Storage a, Storage b, Storage y) =>
        Launch(ref _where, GpuKernels.Where, y.Length,
            new WhereArgs { Condition = View(condition), A = View(a), B = View(b), Y = View(y) });

    private GatherArgs Along(Storage source, ReadOnlySpan<int> xShape, int dim, Storage index, ReadOnlySpan<int> indexShape,
        Storage target)
    {
        if (xShape.Length > Dims8.MaxRank)
            throw new ArgumentException($"{Name} backend: gather and scatter take tensors of rank at most {Dims8.MaxRank}, got {xShape.Length}.");
        var args = new GatherArgs { X = View(source), Index = View(index), Y = View(target), Rank = xShape.Length, Dim = dim };
        int stride = 1;
        for (int d = xShape.Length - 1; d >= 0; d--)
        {
            args.IndexDims.Set(d, indexShape[d]);
            args.XStrides.Set(d, stride);
            stride *= xShape[d];
        }
        return args;
    }

    public override void Gather(Storage x, ReadOnlySpan<int> xShape, int dim, Storage index, ReadOnlySpan<int> indexShape,
        Storage y) =>
        Launch(ref _gatherAlong, GpuKernels.GatherAlong, y.Length, Along(x, xShape, dim, index, indexShape, y));

    public override void ScatterAdd(Storage dy, ReadOnlySpan<int> indexShape, int dim, Storage index, Storage dx,
        ReadOnlySpan<int> xShape)
    {
        Fill(dx, 0f);
        Launch(ref _scatterAddAlong, GpuKernels.ScatterAddAlong, dy.Length, Along(dy, xShape, dim, index, indexShape, dx));
    }

    public override void SortIndices(Storage x, int outer, int n, int inner, bool descending, Storage indices) =>
        Launch(ref _sortIndices, GpuKernels.SortIndices, outer * inner,
            new SortArgs { X = View(x), Indices = View(indices), N = n, Inner = inner, Descending = descending });

    public override void AdaptiveMaxPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y, Storage argMax) =>
        Launch(ref _adaptiveMax, GpuKernels.AdaptiveMaxPool, planes * outH * outW,
            new AdaptiveMaxArgs { X = View(x), Y = View(y), ArgMax = View(argMax), H = h, W = w, OutH = outH, OutW = outW });

    public override void AdaptiveMaxPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage argMax,
        Storage dx)
    {
        Fill(dx, 0f);
        Launch(ref _adaptiveMaxBackward, GpuKernels.AdaptiveMaxPoolBackward, planes * outH * outW,
            new AdaptiveMaxArgs { X = View(dy), Y = View(dx), ArgMax = View(argMax), H = h, W = w, OutH = outH, OutW = outW });
    }
}
