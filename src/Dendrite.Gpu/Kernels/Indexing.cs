using ILGPU;

namespace Dendrite.Gpu.Kernels;

internal struct WhereArgs { public ArrayView<float> Condition, A, B, Y; }

/// <summary>
/// torch.gather's addressing: position j of the index's shape (<see cref="IndexDims"/>) reads x at j's coordinates with
/// the one along <see cref="Dim"/> replaced by index[j]; <see cref="XStrides"/> are x's row-major strides.
/// </summary>
internal struct GatherArgs
{
    public ArrayView<float> X, Index, Y;
    public int Rank, Dim;
    public Dims8 IndexDims, XStrides;
}

internal struct SortArgs
{
    public ArrayView<float> X, Indices;
    public int N, Inner;
    public Flag Descending;
}

internal struct AdaptiveMaxArgs
{
    public ArrayView<float> X, Y, ArgMax;
    public int H, W, OutH, OutW;
}

internal static partial class GpuKernels
{
    /// <summary>NaN counts as true (NaN ≠ 0), as bool(NaN) in PyTorch.</summary>
    public static void Where(Index1D i, WhereArgs a) => a.Y[i] = a.Condition[i] != 0f ? a.A[i] : a.B[i];

    private static int GatherSource(int flat, GatherArgs a)
    {
        int at = 0;
        int rest = flat;
        for (int d = a.Rank - 1; d >= 0; d--)
        {
            int size = a.IndexDims.Get(d);
            int coordinate = d == a.Dim ? (int)a.Index[flat] : rest % size;
            rest /= size;
            at += coordinate * a.XStrides.Get(d);
        }
        return at;
    }

    public static void GatherAlong(Index1D j, GatherArgs a) => a.Y[j] = a.X[GatherSource(j, a)];

    /// <summary>Y = dx, zeroed first; repeated indices add atomically (in any order, within float rounding).</summary>
    public static void ScatterAddAlong(Index1D j, GatherArgs a) => Atomic.Add(ref a.Y[GatherSource(j, a)], a.X[j]);

    /// <summary>Whether u sorts strictly before v: smaller (larger when descending), NaN above every number.</summary>
    private static bool SortsBefore(float u, float v, bool descending)
    {
        bool uNaN = KernelMath.IsNaN(u), vNaN = KernelMath.IsNaN(v);
        if (uNaN || vNaN) return uNaN != vNaN && (descending ? uNaN : vNaN);
        return descending ? u > v : u < v;
    }

    /// <summary>
    /// One thread per line [o, :, i]: an insertion sort of the positions, written into the output as it goes. A later
    /// value passes an earlier one only when strictly before it, so the sort is stable, as the reference's.
    /// </summary>
    public static void SortIndices(Index1D line, SortArgs a)
    {
        int o = line / a.Inner, i = line % a.Inner;
        int first = o * a.N * a.Inner + i;
        for (int k = 0; k < a.N; k++)
        {
            float v = a.X[first + k * a.Inner];
            int place = k;
            while (place > 0)
            {
                int before = (int)a.Indices[first + (place - 1) * a.Inner];
                if (!SortsBefore(v, a.X[first + before * a.Inner], a.Descending)) break;
                a.Indices[first + place * a.Inner] = before;
                place--;
            }
            a.Indices[first + place * a.Inner] = k;
        }
    }

    /// <summary>One thread per output: the window's first largest value (a NaN wins) and its index in the plane.</summary>
    public static void AdaptiveMaxPool(Index1D o, AdaptiveMaxArgs a)
    {
        int p = o / (a.OutH * a.OutW), oy = o / a.OutW % a.OutH, ox = o % a.OutW;
        AdaptiveWindow(oy, a.H, a.OutH, out int y0, out int y1);
        AdaptiveWindow(ox, a.W, a.OutW, out int x0, out int x1);
        int plane = p * a.H * a.W;
        int winner = -1;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++)
            {
                int at = iy * a.W + ix;
                if (winner < 0 || Beats(a.X[plane + at], a.X[plane + winner])) winner = at;
            }
        a.Y[o] = a.X[plane + winner];
        a.ArgMax[o] = winner;
    }

    /// <summary>X = dy, Y = dx zeroed first: windows overlap, so several outputs may add to one input.</summary>
    public static void AdaptiveMaxPoolBackward(Index1D o, AdaptiveMaxArgs a)
    {
        int p = o / (a.OutH * a.OutW);
        Atomic.Add(ref a.Y[p * a.H * a.W + (int)a.ArgMax[o]], a.X[o]);
    }
}
