using System.Numerics.Tensors;

namespace Dendrite.Backends.Cpu;

/// <summary>Softmax and log-softmax along one dimension of x viewed as [outer, n, inner], max-shifted for stability.</summary>
internal static class Softmax
{
    public static void Forward(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> y, bool log)
    {
        if (n == 0) return; // y is empty too; TensorPrimitives.Max would throw on an empty row
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) Row(x.Slice(o * n, n), y.Slice(o * n, n), log);
            return;
        }
        // A strided slice is gathered into a contiguous row, normalised, and scattered back.
        float[] scratch = System.Buffers.ArrayPool<float>.Shared.Rent(2 * n);
        try
        {
            var row = scratch.AsSpan(0, n);
            var outRow = scratch.AsSpan(n, n);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int b = o * n * inner + i;
                    for (int k = 0; k < n; k++) row[k] = x[b + k * inner];
                    Row(row, outRow, log);
                    for (int k = 0; k < n; k++) y[b + k * inner] = outRow[k];
                }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>One row: y = exp(x − max) / Σ exp(x − max), or its log x − max − log Σ.</summary>
    public static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        if (log)
        {
            float sum = 0;
            foreach (float v in y) sum += MathF.Exp(v);
            TensorPrimitives.Subtract(y, MathF.Log(sum), y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
        }
    }
}
