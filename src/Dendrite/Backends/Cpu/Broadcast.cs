namespace Dendrite.Backends.Cpu;

/// <summary>
/// NumPy broadcasting, planned once per op: the output's dimensions with each input's stride (0 where it repeats),
/// adjacent dimensions merged where possible, so the innermost loop runs over a contiguous run or a repeated scalar.
/// </summary>
internal sealed class BroadcastPlan
{
    /// <summary>Outer dimensions (outermost first), then one inner run of <see cref="Inner"/> elements.</summary>
    public readonly int[] OuterSizes;
    public readonly int[] AOuterStrides;
    public readonly int[] BOuterStrides;
    public readonly int Inner;
    public readonly int AInnerStride; // 0 or 1
    public readonly int BInnerStride; // 0 or 1

    public BroadcastPlan(ReadOnlySpan<int> a, ReadOnlySpan<int> b, ReadOnlySpan<int> result)
    {
        int rank = result.Length;
        var sizes = new List<int>();
        var aStr = new List<int>();
        var bStr = new List<int>();
        int sa = 1, sb = 1;
        var aS = new int[rank];
        var bS = new int[rank];
        for (int d = rank - 1; d >= 0; d--)
        {
            int da = d - (rank - a.Length) >= 0 ? a[d - (rank - a.Length)] : 1;
            int db = d - (rank - b.Length) >= 0 ? b[d - (rank - b.Length)] : 1;
            aS[d] = da == 1 ? 0 : sa;
            bS[d] = db == 1 ? 0 : sb;
            sa *= da;
            sb *= db;
        }
        // Size-1 dimensions carry nothing; drop them, then merge neighbours whose strides continue one pattern.
        for (int d = 0; d < rank; d++)
        {
            if (result[d] == 1) continue;
            sizes.Add(result[d]);
            aStr.Add(aS[d]);
            bStr.Add(bS[d]);
        }
        for (int i = sizes.Count - 1; i > 0; i--)
        {
            // outer i-1 merges with inner i when stride(i-1) == stride(i) * size(i) for both inputs
            if (aStr[i - 1] == aStr[i] * sizes[i] && bStr[i - 1] == bStr[i] * sizes[i])
            {
                sizes[i] *= sizes[i - 1];
                sizes.RemoveAt(i - 1);
                aStr.RemoveAt(i - 1);
                bStr.RemoveAt(i - 1);
            }
        }
        if (sizes.Count == 0)
        {
            sizes.Add(1);
            aStr.Add(0);
            bStr.Add(0);
        }
        int n = sizes.Count;
        Inner = sizes[n - 1];
        AInnerStride = aStr[n - 1] == 0 ? 0 : 1;
        BInnerStride = bStr[n - 1] == 0 ? 0 : 1;
        OuterSizes = sizes.Take(n - 1).ToArray();
        AOuterStrides = aStr.Take(n - 1).ToArray();
        BOuterStrides = bStr.Take(n - 1).ToArray();
    }

    /// <summary>Number of inner runs.</summary>
    public int OuterCount
    {
        get
        {
            int c = 1;
            foreach (int s in OuterSizes) c *= s;
            return c;
        }
    }

    /// <summary>Offsets into a and b of inner run number <paramref name="run"/>.</summary>
    public (int A, int B) Offsets(int run)
    {
        int oa = 0, ob = 0;
        for (int d = OuterSizes.Length - 1; d >= 0; d--)
        {
            int i = run % OuterSizes[d];
            run /= OuterSizes[d];
            oa += i * AOuterStrides[d];
            ob += i * BOuterStrides[d];
        }
        return (oa, ob);
    }
}
