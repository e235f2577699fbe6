namespace Dendrite.Backends.Reference;

/// <remarks>Layouts: x [d₀, …, d_r] row-major; index and y of the index's shape; sort slices x as [outer, n, inner].</remarks>
public sealed partial class ReferenceBackend
{
    public override void Where(Storage condition, Storage a, Storage b, Storage y)
    {
        var c = Values(condition);
        var target = Values(y);
        for (int i = 0; i < target.Length; i++) target[i] = c[i] != 0f ? Values(a)[i] : Values(b)[i];
    }

    /// <summary>The element of x that position <paramref name="flat"/> of the index's shape reads: its coordinates, dim's replaced.</summary>
    private static int GatherSource(int flat, ReadOnlySpan<int> indexShape, Span<float> index, ReadOnlySpan<int> xShape, int dim)
    {
        var coordinates = IndexOf(flat, indexShape);
        coordinates[dim] = (int)index[flat];
        var strides = StridesOf(xShape);
        int at = 0;
        for (int d = 0; d < coordinates.Length; d++) at += coordinates[d] * strides[d];
        return at;
    }

    public override void Gather(Storage x, ReadOnlySpan<int> xShape, int dim, Storage index, ReadOnlySpan<int> indexShape, Storage y)
    {
        var target = Values(y);
        for (int j = 0; j < target.Length; j++) target[j] = Values(x)[GatherSource(j, indexShape, Values(index), xShape, dim)];
    }

    public override void ScatterAdd(Storage dy, ReadOnlySpan<int> indexShape, int dim, Storage index, Storage dx, ReadOnlySpan<int> xShape)
    {
        var g = Values(dy);
        var sums = new double[Values(dx).Length];
        for (int j = 0; j < g.Length; j++) sums[GatherSource(j, indexShape, Values(index), xShape, dim)] += g[j];
        WriteSums(sums, dx);
    }

    public override void SortIndices(Storage x, int outer, int n, int inner, bool descending, Storage indices)
    {
        var source = Values(x);
        var target = Values(indices);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                // Insertion sort: a later value moves in front of an earlier one only when strictly before it, so ties
                // keep their order.
                var order = new List<int>();
                for (int k = 0; k < n; k++)
                {
                    float v = source[(o * n + k) * inner + i];
                    int place = order.Count;
                    while (place > 0 && Before(v, source[(o * n + order[place - 1]) * inner + i], descending)) place--;
                    order.Insert(place, k);
                }
                for (int k = 0; k < n; k++) target[(o * n + k) * inner + i] = order[k];
            }
    }

    /// <summary>Whether u sorts strictly before v: smaller (larger when descending), NaN counting as above every number.</summary>
    private static bool Before(float u, float v, bool descending)
    {
        bool uNaN = float.IsNaN(u), vNaN = float.IsNaN(v);
        if (uNaN || vNaN) return uNaN != vNaN && (descending ? uNaN : vNaN);
        return descending ? u > v : u < v;
    }

    public override void AdaptiveMaxPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y, Storage argMax)
    {
        var input = Values(x);
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    var (y0, y1) = AdaptiveWindow(oy, h, outH);
                    var (x0, x1) = AdaptiveWindow(ox, w, outW);
                    int winner = -1;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++)
                        {
                            int at = iy * w + ix;
                            if (winner < 0 || Beats(input[p * h * w + at], input[p * h * w + winner])) winner = at;
                        }
                    Values(y)[(p * outH + oy) * outW + ox] = input[p * h * w + winner];
                    Values(argMax)[(p * outH + oy) * outW + ox] = winner;
                }
    }

    public override void AdaptiveMaxPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage argMax, Storage dx)
    {
        var sums = new double[Values(dx).Length];
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < outH * outW; o++)
                sums[p * h * w + (int)Values(argMax)[p * outH * outW + o]] += Values(dy)[p * outH * outW + o];
        WriteSums(sums, dx);
    }
}
