using Dendrite.Backends;
using ILGPU;
using ILGPU.Algorithms;

namespace Dendrite.Gpu.Kernels;

internal struct PoolArgs
{
    public ArrayView<float> X, Y, ArgMax;
    public PoolGeometry G;
    public Flag CountIncludePad;
}

/// <summary>Planes [H, W] resampled to [OutH, OutW] (adaptive average pooling, nearest upsampling).</summary>
internal struct ResampleArgs
{
    public ArrayView<float> X, Y;
    public int H, W, OutH, OutW;
}

internal static partial class GpuKernels
{
    public static void MaxPool(Index1D o, PoolArgs a)
    {
        var g = a.G;
        int plane = o / g.OutSize, oy = o % g.OutSize / g.OutWidth, ox = o % g.OutWidth;
        int start = plane * g.ImageSize;
        int winner = -1;
        for (int i = 0; i < g.KernelH; i++)
            for (int j = 0; j < g.KernelW; j++)
            {
                int iy = oy * g.StrideH - g.PadH + i * g.DilationH;
                int ix = ox * g.StrideW - g.PadW + j * g.DilationW;
                if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                int index = iy * g.Width + ix;
                if (winner < 0 || Beats(a.X[start + index], a.X[start + winner])) winner = index;
            }
        a.Y[o] = winner < 0 ? float.NegativeInfinity : a.X[start + winner];
        a.ArgMax[o] = winner;
    }

    /// <summary>
    /// One thread per input pixel (X = dy, Y = dx): the sum of the gradients of the windows it won, gathered in the
    /// windows' order (oy, then ox, ascending) as the reference adds them, so the result is the reference's to the bit.
    /// </summary>
    public static void MaxPoolBackward(Index1D e, PoolArgs a)
    {
        var g = a.G;
        int plane = e / g.ImageSize, pixel = e % g.ImageSize, iy = pixel / g.Width, ix = pixel % g.Width;
        float sum = 0f;
        for (int i = g.KernelH - 1; i >= 0; i--)
        {
            int yNumerator = iy + g.PadH - i * g.DilationH;
            if (yNumerator < 0 || yNumerator % g.StrideH != 0 || yNumerator / g.StrideH >= g.OutHeight) continue;
            for (int j = g.KernelW - 1; j >= 0; j--)
            {
                int xNumerator = ix + g.PadW - j * g.DilationW;
                if (xNumerator < 0 || xNumerator % g.StrideW != 0 || xNumerator / g.StrideW >= g.OutWidth) continue;
                int o = plane * g.OutSize + yNumerator / g.StrideH * g.OutWidth + xNumerator / g.StrideW;
                if ((int)a.ArgMax[o] == pixel) sum += a.X[o];
            }
        }
        a.Y[e] = sum;
    }

    /// <summary>The reference's average window: rows [y0, y1), columns [x0, x1) and the divisor.</summary>
    private static void AverageWindow(PoolGeometry g, int oy, int ox, bool countIncludePad,
        out int y0, out int y1, out int x0, out int x1, out int divisor)
    {
        int top = oy * g.StrideH - g.PadH;
        int left = ox * g.StrideW - g.PadW;
        int bottom = XMath.Min(top + g.KernelH, g.Height + g.PadH);
        int right = XMath.Min(left + g.KernelW, g.Width + g.PadW);
        int padded = (bottom - top) * (right - left);
        y0 = XMath.Max(top, 0);
        x0 = XMath.Max(left, 0);
        y1 = XMath.Max(y0, XMath.Min(bottom, g.Height));
        x1 = XMath.Max(x0, XMath.Min(right, g.Width));
        divisor = countIncludePad ? padded : (y1 - y0) * (x1 - x0);
    }

    public static void AvgPool(Index1D o, PoolArgs a)
    {
        var g = a.G;
        int plane = o / g.OutSize, oy = o % g.OutSize / g.OutWidth, ox = o % g.OutWidth;
        AverageWindow(g, oy, ox, a.CountIncludePad, out int y0, out int y1, out int x0, out int x1, out int divisor);
        double sum = 0;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) sum += a.X[plane * g.ImageSize + iy * g.Width + ix];
        a.Y[o] = divisor == 0 ? 0f : (float)(sum / divisor);
    }

    /// <summary>One thread per pooled gradient (X = dy, Y = dx zeroed first), its share added over the window.</summary>
    public static void AvgPoolBackward(Index1D o, PoolArgs a)
    {
        var g = a.G;
        int plane = o / g.OutSize, oy = o % g.OutSize / g.OutWidth, ox = o % g.OutWidth;
        AverageWindow(g, oy, ox, a.CountIncludePad, out int y0, out int y1, out int x0, out int x1, out int divisor);
        if (divisor == 0) return;
        float share = (float)((double)a.X[o] / divisor);
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) Atomic.Add(ref a.Y[plane * g.ImageSize + iy * g.Width + ix], share);
    }

    /// <summary>PyTorch's adaptive window [⌊i·in/out⌋, ⌈(i+1)·in/out⌉), in integers.</summary>
    private static void AdaptiveWindow(int i, int inSize, int outSize, out int start, out int end)
    {
        start = (int)((long)i * inSize / outSize);
        end = (int)(((long)(i + 1) * inSize + outSize - 1) / outSize);
    }

    public static void AdaptiveAvgPool(Index1D o, ResampleArgs a)
    {
        int p = o / (a.OutH * a.OutW), oy = o / a.OutW % a.OutH, ox = o % a.OutW;
        AdaptiveWindow(oy, a.H, a.OutH, out int y0, out int y1);
        AdaptiveWindow(ox, a.W, a.OutW, out int x0, out int x1);
        double sum = 0;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) sum += a.X[(p * a.H + iy) * a.W + ix];
        a.Y[o] = (float)(sum / ((y1 - y0) * (x1 - x0)));
    }

    /// <summary>X = dy [planes, OutH, OutW], Y = dx zeroed first.</summary>
    public static void AdaptiveAvgPoolBackward(Index1D o, ResampleArgs a)
    {
        int p = o / (a.OutH * a.OutW), oy = o / a.OutW % a.OutH, ox = o % a.OutW;
        AdaptiveWindow(oy, a.H, a.OutH, out int y0, out int y1);
        AdaptiveWindow(ox, a.W, a.OutW, out int x0, out int x1);
        float share = (float)((double)a.X[o] / ((y1 - y0) * (x1 - x0)));
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) Atomic.Add(ref a.Y[(p * a.H + iy) * a.W + ix], share);
    }

    /// <summary>Output (oy, ox) of plane p copies input (⌊oy·H/OutH⌋, ⌊ox·W/OutW⌋).</summary>
    private static int NearestSource(int o, ResampleArgs a)
    {
        int p = o / (a.OutH * a.OutW), oy = o / a.OutW % a.OutH, ox = o % a.OutW;
        int sy = (int)((long)oy * a.H / a.OutH), sx = (int)((long)ox * a.W / a.OutW);
        return (p * a.H + sy) * a.W + sx;
    }

    public static void UpsampleNearest(Index1D o, ResampleArgs a) => a.Y[o] = a.X[NearestSource(o, a)];

    /// <summary>X = dy, Y = dx zeroed first.</summary>
    public static void UpsampleNearestBackward(Index1D o, ResampleArgs a) => Atomic.Add(ref a.Y[NearestSource(o, a)], a.X[o]);
}
