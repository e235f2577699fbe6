using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Numerics.Tensors;

namespace Dendrite.Backends.Cpu;

/// <summary>Max and average pooling over planes, in parallel over planes.</summary>
public static class Pooling
{
    /// <summary>
    /// y = the largest value in each window (padding never wins); <paramref name="argMax"/> receives the index of the
    /// first largest value within its plane (as a float: exact below 2²⁴), so the backward pass routes the gradient
    /// to one input, as PyTorch does. A NaN in a window wins, so it propagates.
    /// </summary>
    public static unsafe void MaxForward(in PoolGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<float> argMax)
    {
        fixed (float* px = x, py = y, pi = argMax)
            ForEachPlane(g, px, py, pi, static (in PoolGeometry g, int p, float* x, float* y, float* argMax) =>
                MaxPlane(g, new ReadOnlySpan<float>(x + (long)p * g.ImageSize, g.ImageSize),
                    new Span<float>(y + (long)p * g.OutSize, g.OutSize), new Span<float>(argMax + (long)p * g.OutSize, g.OutSize)));
    }

    private static void MaxPlane(in PoolGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<float> argMax)
    {
        // Whole windows only: with ceil_mode the last row or column of windows hangs over the edge.
        if (g is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1 }
            && 2 * g.OutHeight <= g.Height && 2 * g.OutWidth <= g.Width)
        {
            MaxPlane2x2(g, x, y, argMax);
            return;
        }
        int w = g.Width;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int iy0 = oy * g.StrideH - g.PadH;
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                int ix0 = ox * g.StrideW - g.PadW;
                float best = float.NegativeInfinity;
                int bestIndex = -1;
                for (int ki = 0; ki < g.KernelH; ki++)
                {
                    int iy = iy0 + ki * g.DilationH;
                    if ((uint)iy >= (uint)g.Height) continue;
                    for (int kj = 0; kj < g.KernelW; kj++)
                    {
                        int ix = ix0 + kj * g.DilationW;
                        if ((uint)ix >= (uint)w) continue;
                        float v = x[iy * w + ix];
                        if (v > best || float.IsNaN(v) || bestIndex < 0)
                        {
                            best = v;
                            bestIndex = iy * w + ix;
                            if (float.IsNaN(v)) goto found;
                        }
                    }
                }
            found:
                y[oy * g.OutWidth + ox] = best;
                argMax[oy * g.OutWidth + ox] = bestIndex;
            }
        }
    }

    /// <summary>
    /// The common 2×2, stride-2 case, four outputs at a time: the even and odd columns of the two input rows are
    /// separated by shuffles and compared with vector selects. Branches would be the cost here: on real data which of
    /// the four wins is a coin toss. Blocks holding a NaN (rare) take the general path's rule, so NaN propagates.
    /// </summary>
    private static void MaxPlane2x2(in PoolGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<float> argMax)
    {
        int w = g.Width, ow = g.OutWidth;
        var right = Vector128.Create(1f);
        var below = Vector128.Create((float)w);
        var belowRight = Vector128.Create(w + 1f);
        var evenColumns = Vector128.Create(0f, 2f, 4f, 6f);
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int top = 2 * oy * w;
            var upper = x.Slice(top, 2 * ow);
            var lower = x.Slice(top + w, 2 * ow);
            var outRow = y.Slice(oy * ow, ow);
            var indexRow = argMax.Slice(oy * ow, ow);
            int ox = 0;
            if (Sse.IsSupported)
                for (; ox + 4 <= ow; ox += 4)
                {
                    int j = 2 * ox;
                    Vector128<float> u0 = Vector128.Create(upper.Slice(j, 4)), u1 = Vector128.Create(upper.Slice(j + 4, 4));
                    Vector128<float> l0 = Vector128.Create(lower.Slice(j, 4)), l1 = Vector128.Create(lower.Slice(j + 4, 4));
                    Vector128<float> a = Sse.Shuffle(u0, u1, 0b10_00_10_00), b = Sse.Shuffle(u0, u1, 0b11_01_11_01);
                    Vector128<float> c = Sse.Shuffle(l0, l1, 0b10_00_10_00), d = Sse.Shuffle(l0, l1, 0b11_01_11_01);
                    if (!(Vector128.EqualsAll(a, a) && Vector128.EqualsAll(b, b) && Vector128.EqualsAll(c, c) && Vector128.EqualsAll(d, d)))
                    {
                        MaxWindowsScalar(upper, lower, outRow, indexRow, top, w, ox, ox + 4);
                        continue;
                    }
                    var best = a;
                    var at = Vector128<float>.Zero;
                    var wins = Vector128.GreaterThan(b, best);
                    best = Vector128.ConditionalSelect(wins, b, best);
                    at = Vector128.ConditionalSelect(wins, right, at);
                    wins = Vector128.GreaterThan(c, best);
                    best = Vector128.ConditionalSelect(wins, c, best);
                    at = Vector128.ConditionalSelect(wins, below, at);
                    wins = Vector128.GreaterThan(d, best);
                    best = Vector128.ConditionalSelect(wins, d, best);
                    at = Vector128.ConditionalSelect(wins, belowRight, at);
                    best.CopyTo(outRow.Slice(ox, 4));
                    (at + evenColumns + Vector128.Create((float)(top + j))).CopyTo(indexRow.Slice(ox, 4));
                }
            MaxWindowsScalar(upper, lower, outRow, indexRow, top, w, ox, ow);
        }
    }

    /// <summary>Outputs [ox0, ox1) of one row of 2×2 windows, one at a time.</summary>
    private static void MaxWindowsScalar(ReadOnlySpan<float> upper, ReadOnlySpan<float> lower, Span<float> outRow, Span<float> indexRow,
        int top, int w, int ox0, int ox1)
    {
        for (int ox = ox0; ox < ox1; ox++)
        {
            int j = 2 * ox;
            var (best, at) = MaxOfWindow(upper[j], upper[j + 1], lower[j], lower[j + 1], top + j, w);
            outRow[ox] = best;
            indexRow[ox] = at;
        }
    }

    /// <summary>The first largest value of a 2×2 window and its index, or its first NaN.</summary>
    private static (float Value, int Index) MaxOfWindow(float a, float b, float c, float d, int at, int w)
    {
        if (float.IsNaN(a)) return (a, at);
        if (float.IsNaN(b)) return (b, at + 1);
        if (float.IsNaN(c)) return (c, at + w);
        if (float.IsNaN(d)) return (d, at + w + 1);
        float best = a;
        int index = at;
        if (b > best) (best, index) = (b, at + 1);
        if (c > best) (best, index) = (c, at + w);
        if (d > best) (best, index) = (d, at + w + 1);
        return (best, index);
    }

    /// <summary>dx = 0 everywhere except dx[argMax] += dy, plane by plane.</summary>
    public static unsafe void MaxBackward(in PoolGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> argMax, Span<float> dx)
    {
        fixed (float* pdy = dy, pi = argMax, pdx = dx)
            ForEachPlane(g, pdy, pdx, pi, static (in PoolGeometry g, int p, float* dy, float* dx, float* argMax) =>
            {
                var d = new Span<float>(dx + (long)p * g.ImageSize, g.ImageSize);
                d.Clear();
                float* gy = dy + (long)p * g.OutSize, index = argMax + (long)p * g.OutSize;
                for (int o = 0; o < g.OutSize; o++)
                {
                    int i = (int)index[o];
                    if (i >= 0) d[i] += gy[o];
                }
            });
    }

    /// <summary>
    /// y = the mean of each window. The divisor counts padding zeros when <paramref name="countIncludePad"/> (PyTorch's
    /// default) but never the part of a ceil-mode window that hangs past the padded image.
    /// </summary>
    public static unsafe void AvgForward(in PoolGeometry g, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y)
    {
        fixed (float* px = x, py = y)
            ForEachPlane(g, px, py, null, (in PoolGeometry g, int p, float* x, float* y, float* _) => AvgPlane(g, p, x, y, countIncludePad));
    }

    private static unsafe void AvgPlane(in PoolGeometry g, int p, float* x, float* y, bool countIncludePad)
    {
        var plane = new ReadOnlySpan<float>(x + (long)p * g.ImageSize, g.ImageSize);
        var outPlane = new Span<float>(y + (long)p * g.OutSize, g.OutSize);
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                var win = AvgWindow(g, oy, ox, countIncludePad);
                float sum = 0;
                for (int iy = win.Y0; iy < win.Y1; iy++)
                    sum += TensorPrimitives.Sum(plane.Slice(iy * g.Width + win.X0, win.X1 - win.X0));
                outPlane[oy * g.OutWidth + ox] = win.Divisor == 0 ? 0f : sum / win.Divisor;
            }
    }

    /// <summary>dx[window] += dy / divisor for every window.</summary>
    public static unsafe void AvgBackward(in PoolGeometry g, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx)
    {
        fixed (float* pdy = dy, pdx = dx)
            ForEachPlane(g, pdy, pdx, null, (in PoolGeometry g, int p, float* dy, float* dx, float* _) => AvgPlaneBackward(g, p, dy, dx, countIncludePad));
    }

    private static unsafe void AvgPlaneBackward(in PoolGeometry g, int p, float* dy, float* dx, bool countIncludePad)
    {
        var d = new Span<float>(dx + (long)p * g.ImageSize, g.ImageSize);
        d.Clear();
        float* gy = dy + (long)p * g.OutSize;
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                var win = AvgWindow(g, oy, ox, countIncludePad);
                if (win.Divisor == 0) continue;
                float share = gy[oy * g.OutWidth + ox] / win.Divisor;
                for (int iy = win.Y0; iy < win.Y1; iy++)
                {
                    var row = d.Slice(iy * g.Width + win.X0, win.X1 - win.X0);
                    TensorPrimitives.Add(row, share, row);
                }
            }
    }

    private unsafe delegate void PlaneKernel(in PoolGeometry g, int plane, float* input, float* output, float* extra);

    /// <summary>Runs <paramref name="kernel"/> on every plane, planes shared out in chunks over the threads.</summary>
    private static unsafe void ForEachPlane(in PoolGeometry g, float* input, float* output, float* extra, PlaneKernel kernel)
    {
        var geometry = g;
        Threading.For(Chunks(g), chunk =>
        {
            var (p0, p1) = ChunkPlanes(geometry, chunk);
            for (int p = p0; p < p1; p++) kernel(geometry, p, input, output, extra);
        }, parallel: (long)g.Planes * g.ImageSize >= ParallelThreshold);
    }

    /// <summary>A window's in-image rows [Y0, Y1) and columns [X0, X1), and the count it divides by.</summary>
    private static (int Y0, int Y1, int X0, int X1, int Divisor) AvgWindow(in PoolGeometry g, int oy, int ox, bool countIncludePad)
    {
        int y0 = oy * g.StrideH - g.PadH, x0 = ox * g.StrideW - g.PadW;
        int y1 = Math.Min(y0 + g.KernelH, g.Height + g.PadH), x1 = Math.Min(x0 + g.KernelW, g.Width + g.PadW);
        int padded = (y1 - y0) * (x1 - x0);
        y0 = Math.Max(y0, 0); x0 = Math.Max(x0, 0);
        y1 = Math.Min(y1, g.Height); x1 = Math.Min(x1, g.Width);
        int inside = Math.Max(0, y1 - y0) * Math.Max(0, x1 - x0);
        return (y0, Math.Max(y0, y1), x0, Math.Max(x0, x1), countIncludePad ? padded : inside);
    }

    private const long ParallelThreshold = 1 << 15;

    /// <summary>Planes are handed out in a few chunks per thread: a plane alone is too little work to schedule.</summary>
    private static int Chunks(in PoolGeometry g) => Math.Max(1, Math.Min(g.Planes, Threading.NumThreads * 4));

    private static (int Start, int End) ChunkPlanes(in PoolGeometry g, int chunk)
    {
        int chunks = Chunks(g);
        return ((int)((long)chunk * g.Planes / chunks), (int)((long)(chunk + 1) * g.Planes / chunks));
    }
}
