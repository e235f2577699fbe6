namespace Dendrite.Backends.Cpu;

/// <summary>Adaptive average pooling and nearest-neighbour upsampling: windows and sources computed from the two sizes.</summary>
public static class Resampling
{
    /// <summary>Input rows [start, end) averaged into output row i, as PyTorch: ⌊i·in/out⌋ to ⌈(i+1)·in/out⌉.</summary>
    public static (int Start, int End) AdaptiveWindow(int i, int inSize, int outSize) =>
        ((int)((long)i * inSize / outSize), (int)(((long)(i + 1) * inSize + outSize - 1) / outSize));

    /// <summary>y[p, oy, ox] = mean of x[p] over the adaptive window of (oy, ox), for every plane p.</summary>
    public static void AdaptiveAvgForward(int planes, int h, int w, int outH, int outW, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * h * w, h * w);
            for (int oy = 0; oy < outH; oy++)
            {
                var (y0, y1) = AdaptiveWindow(oy, h, outH);
                for (int ox = 0; ox < outW; ox++)
                {
                    var (x0, x1) = AdaptiveWindow(ox, w, outW);
                    float sum = 0;
                    for (int iy = y0; iy < y1; iy++)
                        sum += System.Numerics.Tensors.TensorPrimitives.Sum(plane.Slice(iy * w + x0, x1 - x0));
                    y[(p * outH + oy) * outW + ox] = sum / ((y1 - y0) * (x1 - x0));
                }
            }
        }
    }

    /// <summary>dx[window of (oy, ox)] += dy[oy, ox] / window size, overwriting dx.</summary>
    public static void AdaptiveAvgBackward(int planes, int h, int w, int outH, int outW, ReadOnlySpan<float> dy, Span<float> dx)
    {
        dx.Clear();
        for (int p = 0; p < planes; p++)
        {
            var plane = dx.Slice(p * h * w, h * w);
            for (int oy = 0; oy < outH; oy++)
            {
                var (y0, y1) = AdaptiveWindow(oy, h, outH);
                for (int ox = 0; ox < outW; ox++)
                {
                    var (x0, x1) = AdaptiveWindow(ox, w, outW);
                    float share = dy[(p * outH + oy) * outW + ox] / ((y1 - y0) * (x1 - x0));
                    for (int iy = y0; iy < y1; iy++)
                    {
                        var row = plane.Slice(iy * w + x0, x1 - x0);
                        System.Numerics.Tensors.TensorPrimitives.Add(row, share, row);
                    }
                }
            }
        }
    }

    /// <summary>The input index nearest-neighbour upsampling reads for output index i: ⌊i · in/out⌋, as PyTorch's "nearest".</summary>
    public static int NearestSource(int i, int inSize, int outSize) =>
        Math.Min((int)MathF.Floor(i * ((float)inSize / outSize)), inSize - 1);

    /// <summary>y[p, oy, ox] = x[p, src(oy), src(ox)].</summary>
    public static void NearestForward(int planes, int h, int w, int outH, int outW, ReadOnlySpan<float> x, Span<float> y)
    {
        Span<int> sourceX = outW <= 4096 ? stackalloc int[outW] : new int[outW];
        for (int ox = 0; ox < outW; ox++) sourceX[ox] = NearestSource(ox, w, outW);
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
            {
                var src = x.Slice((p * h + NearestSource(oy, h, outH)) * w, w);
                var dst = y.Slice((p * outH + oy) * outW, outW);
                for (int ox = 0; ox < outW; ox++) dst[ox] = src[sourceX[ox]];
            }
    }

    /// <summary>dx[p, src(oy), src(ox)] += dy[p, oy, ox], overwriting dx.</summary>
    public static void NearestBackward(int planes, int h, int w, int outH, int outW, ReadOnlySpan<float> dy, Span<float> dx)
    {
        dx.Clear();
        Span<int> sourceX = outW <= 4096 ? stackalloc int[outW] : new int[outW];
        for (int ox = 0; ox < outW; ox++) sourceX[ox] = NearestSource(ox, w, outW);
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
            {
                var dst = dx.Slice((p * h + NearestSource(oy, h, outH)) * w, w);
                var src = dy.Slice((p * outH + oy) * outW, outW);
                for (int ox = 0; ox < outW; ox++) dst[sourceX[ox]] += src[ox];
            }
    }
}
