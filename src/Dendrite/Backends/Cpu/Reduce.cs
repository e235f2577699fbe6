using System.Numerics.Tensors;

namespace Dendrite.Backends.Cpu;

/// <summary>Reductions along one dimension of x viewed as [outer, n, inner]; y is [outer, inner].</summary>
internal static class Reduce
{
    public static void Sum(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> y)
    {
        if (n == 0)
        {
            y.Clear(); // an empty sum is 0; the loop below would read a first row that does not exist
            return;
        }
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) y[o] = TensorPrimitives.Sum(x.Slice(o * n, n));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var dst = y.Slice(o * inner, inner);
            x.Slice(o * n * inner, inner).CopyTo(dst);
            for (int k = 1; k < n; k++) TensorPrimitives.Add(dst, x.Slice((o * n + k) * inner, inner), dst);
        }
    }

    /// <summary>Maximum and the index of its first occurrence (NaN wins, as in PyTorch).</summary>
    public static void Max(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> y, Span<float> argmax)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * n * inner + i;
                float best = x[baseIndex];
                int bestK = 0;
                for (int k = 1; k < n && !float.IsNaN(best); k++)
                {
                    float v = x[baseIndex + k * inner];
                    if (v > best || float.IsNaN(v))
                    {
                        best = v;
                        bestK = k;
                    }
                }
                y[o * inner + i] = best;
                argmax[o * inner + i] = bestK;
            }
    }
}
