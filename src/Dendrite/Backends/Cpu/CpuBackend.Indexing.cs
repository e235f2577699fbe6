namespace Dendrite.Backends.Cpu;

/// <remarks>Layouts: x [d₀, …, d_r] row-major; index and y of the index's shape; sort slices x as [outer, n, inner].</remarks>
public sealed partial class CpuBackend
{
    public override void Where(Storage condition, Storage a, Storage b, Storage y)
    {
        ReadOnlySpan<float> c = S(condition), av = S(a), bv = S(b);
        var o = S(y);
        for (int i = 0; i < o.Length; i++) o[i] = c[i] != 0f ? av[i] : bv[i];
    }

    public override void Gather(Storage x, ReadOnlySpan<int> xShape, int dim, Storage index, ReadOnlySpan<int> indexShape, Storage y)
    {
        ReadOnlySpan<float> src = S(x), idx = S(index);
        var dst = S(y);
        Span<int> strides = stackalloc int[xShape.Length];
        Span<int> coordinates = stackalloc int[xShape.Length];
        int offset = 0;
        RowMajorStrides(xShape, strides);
        for (int j = 0; j < dst.Length; j++)
        {
            dst[j] = src[offset + (int)idx[j] * strides[dim]];
            offset = Advance(coordinates, indexShape, strides, dim, offset);
        }
    }

    public override void ScatterAdd(Storage dy, ReadOnlySpan<int> indexShape, int dim, Storage index, Storage dx, ReadOnlySpan<int> xShape)
    {
        ReadOnlySpan<float> g = S(dy), idx = S(index);
        var d = S(dx);
        d.Clear();
        Span<int> strides = stackalloc int[xShape.Length];
        Span<int> coordinates = stackalloc int[xShape.Length];
        int offset = 0;
        RowMajorStrides(xShape, strides);
        for (int j = 0; j < g.Length; j++)
        {
            d[offset + (int)idx[j] * strides[dim]] += g[j];
            offset = Advance(coordinates, indexShape, strides, dim, offset);
        }
    }

    private static void RowMajorStrides(ReadOnlySpan<int> shape, Span<int> strides)
    {
        for (int d = shape.Length - 1, s = 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= shape[d];
        }
    }

    /// <summary>
    /// Steps <paramref name="coordinates"/> to the next position of <paramref name="shape"/> in row-major order and
    /// returns the x offset of that position without its coordinate along <paramref name="dim"/> (the index supplies it).
    /// </summary>
    private static int Advance(Span<int> coordinates, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int dim, int offset)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int step = d == dim ? 0 : strides[d];
            if (++coordinates[d] < shape[d]) return offset + step;
            offset -= (coordinates[d] - 1) * step;
            coordinates[d] = 0;
        }
        return offset;
    }

    public override void SortIndices(Storage x, int outer, int n, int inner, bool descending, Storage indices)
    {
        ReadOnlySpan<float> src = S(x);
        var dst = S(indices);
        if (n == 0) return;
        // One slice's values and positions, reused for every slice: the comparison breaks ties by position, which
        // makes the (unstable) introsort stable.
        var keys = new float[n];
        var order = new int[n];
        var comparer = new SortOrder(keys, descending);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                for (int k = 0; k < n; k++)
                {
                    keys[k] = src[(o * n + k) * inner + i];
                    order[k] = k;
                }
                order.AsSpan().Sort(comparer);
                for (int k = 0; k < n; k++) dst[(o * n + k) * inner + i] = order[k];
            }
    }

    /// <summary>Positions ordered by their values (NaN above every number), ties by position.</summary>
    private readonly struct SortOrder(float[] keys, bool descending) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            int byValue = Ascending(keys[a], keys[b]);
            if (descending) byValue = -byValue;
            return byValue != 0 ? byValue : a.CompareTo(b);
        }

        private static int Ascending(float u, float v)
        {
            bool uNaN = float.IsNaN(u), vNaN = float.IsNaN(v);
            if (uNaN || vNaN) return uNaN == vNaN ? 0 : uNaN ? 1 : -1;
            return u < v ? -1 : u > v ? 1 : 0;
        }
    }

    public override void AdaptiveMaxPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y, Storage argMax)
    {
        ReadOnlySpan<float> src = S(x);
        var dst = S(y);
        var at = S(argMax);
        for (int p = 0; p < planes; p++)
        {
            var plane = src.Slice(p * h * w, h * w);
            for (int oy = 0; oy < outH; oy++)
            {
                var (y0, y1) = Resampling.AdaptiveWindow(oy, h, outH);
                for (int ox = 0; ox < outW; ox++)
                {
                    var (x0, x1) = Resampling.AdaptiveWindow(ox, w, outW);
                    int best = y0 * w + x0;
                    for (int iy = y0; iy < y1 && !float.IsNaN(plane[best]); iy++)
                        for (int ix = x0; ix < x1; ix++)
                        {
                            float v = plane[iy * w + ix];
                            if (v > plane[best] || float.IsNaN(v))
                            {
                                best = iy * w + ix;
                                if (float.IsNaN(v)) break;
                            }
                        }
                    int o = (p * outH + oy) * outW + ox;
                    dst[o] = plane[best];
                    at[o] = best;
                }
            }
        }
    }

    public override void AdaptiveMaxPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage argMax, Storage dx)
    {
        ReadOnlySpan<float> g = S(dy), at = S(argMax);
        var d = S(dx);
        d.Clear();
        int outSize = outH * outW;
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < outSize; o++)
                d[p * h * w + (int)at[p * outSize + o]] += g[p * outSize + o];
    }
}
