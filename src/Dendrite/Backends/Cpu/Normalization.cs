using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace Dendrite.Backends.Cpu;

/// <summary>
/// Batch and layer normalisation over [N, C, S] (S = positions per channel) and [Rows, S]. Statistics are summed in
/// double, plane by plane in a fixed order, so they do not depend on the thread count; the per-element work is one or
/// two fused multiply-adds per value through TensorPrimitives.
/// </summary>
public static class Normalization
{
    /// <summary>
    /// Per channel c: mean[c] and biased variance[c] over all N·S values, and y = (x − mean)/√(var + eps) · γ + β.
    /// <paramref name="mean"/> and <paramref name="invStd"/> receive the statistics for the backward pass;
    /// <paramref name="variance"/> the biased variance (for the running estimate).
    /// </summary>
    public static unsafe void BatchNormTrain(int batch, int channels, int size, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, float eps, Span<float> y, Span<float> mean, Span<float> variance, Span<float> invStd)
    {
        fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, pv = variance, ps = invStd)
        {
            float* xs = px, gs = pg, bs = pb, ys = py, ms = pm, vs = pv, ss = ps;
            Threading.For(channels, c =>
            {
                double sum = 0;
                for (int n = 0; n < batch; n++) sum += TensorPrimitives.Sum(Plane(xs, n, c, channels, size));
                double count = (double)batch * size, mu = sum / count, squares = 0;
                // Two passes (deviations from the mean, not Σx² − Nμ²), so a large mean cannot cancel the variance away.
                var deviations = System.Buffers.ArrayPool<float>.Shared.Rent(size);
                for (int n = 0; n < batch; n++)
                    squares += SumOfSquaredDeviations(Plane(xs, n, c, channels, size), (float)mu, deviations);
                System.Buffers.ArrayPool<float>.Shared.Return(deviations);
                double var = squares / count;
                float inv = (float)(1 / Math.Sqrt(var + eps));
                ms[c] = (float)mu; vs[c] = (float)var; ss[c] = inv;
                float scale = (gs is null ? 1f : gs[c]) * inv, shift = (bs is null ? 0f : bs[c]) - (float)mu * scale;
                for (int n = 0; n < batch; n++)
                    Affine(Plane(xs, n, c, channels, size), scale, shift, PlaneOut(ys, n, c, channels, size));
            }, parallel: (long)batch * channels * size >= 1 << 14);
        }
    }

    /// <summary>y = x · scale[c] + shift[c]: batch norm in eval mode, with the running statistics folded in.</summary>
    public static void ScaleShift(int batch, int channels, int size, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> shift, Span<float> y)
    {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                int at = (n * channels + c) * size;
                Affine(x.Slice(at, size), scale[c], shift[c], y.Slice(at, size));
            }
    }

    /// <summary>
    /// Backward of <see cref="BatchNormTrain"/>: with x̂ = (x − μ)·invStd, dβ = Σdy, dγ = Σdy·x̂ and
    /// dx = γ·invStd·(dy − dβ/M − x̂·dγ/M), M = N·S (the batch statistics depend on every x).
    /// <paramref name="dx"/>, <paramref name="dGamma"/> and <paramref name="dBeta"/> may be empty when not wanted.
    /// </summary>
    public static unsafe void BatchNormTrainBackward(int batch, int channels, int size, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        bool wantDx = !dx.IsEmpty, wantGamma = !dGamma.IsEmpty, wantBeta = !dBeta.IsEmpty;
        fixed (float* px = x, pdy = dy, pg = gamma, pm = mean, ps = invStd, pdx = dx, pdg = dGamma, pdb = dBeta)
        {
            float* xs = px, dys = pdy, gs = pg, ms = pm, ss = ps, dxs = pdx, dgs = pdg, dbs = pdb;
            Threading.For(channels, c =>
            {
                double sumDy = 0, sumDyX = 0;
                for (int n = 0; n < batch; n++)
                {
                    var g = Plane(dys, n, c, channels, size);
                    sumDy += TensorPrimitives.Sum(g);
                    sumDyX += TensorPrimitives.Dot(g, Plane(xs, n, c, channels, size));
                }
                double mu = ms[c], inv = ss[c];
                double dBetaC = sumDy, dGammaC = (sumDyX - mu * sumDy) * inv;
                if (wantBeta) dbs[c] = (float)dBetaC;
                if (wantGamma) dgs[c] = (float)dGammaC;
                if (!wantDx) return;
                double m = (double)batch * size, gammaC = gs is null ? 1 : gs[c];
                // dx = k·dy + kx·x + k0, the normalisation's three terms folded into per-channel constants.
                float k = (float)(gammaC * inv);
                float kx = (float)(-gammaC * inv * inv * dGammaC / m);
                float k0 = (float)(-gammaC * inv * dBetaC / m + gammaC * inv * inv * dGammaC * mu / m);
                for (int n = 0; n < batch; n++)
                {
                    var d = PlaneOut(dxs, n, c, channels, size);
                    Affine(Plane(xs, n, c, channels, size), kx, k0, d);
                    TensorPrimitives.MultiplyAdd(Plane(dys, n, c, channels, size), k, d, d);
                }
            }, parallel: (long)batch * channels * size >= 1 << 14);
        }
    }

    /// <summary>
    /// Per row of <paramref name="size"/> values: y = (x − mean)/√(var + eps) · γ + β with γ, β of length size (or
    /// empty); <paramref name="mean"/> and <paramref name="invStd"/> receive each row's statistics.
    /// </summary>
    public static void LayerNorm(int rows, int size, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, Span<float> y, Span<float> mean, Span<float> invStd)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * size, size);
            var outRow = y.Slice(r * size, size);
            double mu = (double)TensorPrimitives.Sum(row) / size;
            double var = SumOfSquaredDeviations(row, (float)mu, outRow) / size;
            float inv = (float)(1 / Math.Sqrt(var + eps));
            mean[r] = (float)mu;
            invStd[r] = inv;
            Affine(row, inv, (float)(-mu * inv), outRow);
            if (!gamma.IsEmpty) TensorPrimitives.Multiply(outRow, gamma, outRow);
            if (!beta.IsEmpty) TensorPrimitives.Add(outRow, beta, outRow);
        }
    }

    /// <summary>
    /// Backward of <see cref="LayerNorm"/>: g = dy·γ, dx = invStd·(g − mean(g) − x̂·mean(g·x̂)); dγ = Σrows dy·x̂, dβ = Σrows dy.
    /// </summary>
    public static void LayerNormBackward(int rows, int size, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        if (!dGamma.IsEmpty) dGamma.Clear();
        if (!dBeta.IsEmpty) dBeta.Clear();
        var buffer = System.Buffers.ArrayPool<float>.Shared.Rent(2 * size);
        try
        {
            var xhat = buffer.AsSpan(0, size);
            var g = buffer.AsSpan(size, size);
            for (int r = 0; r < rows; r++)
            {
                var dyRow = dy.Slice(r * size, size);
                Affine(x.Slice(r * size, size), invStd[r], -mean[r] * invStd[r], xhat);
                if (!dBeta.IsEmpty) TensorPrimitives.Add(dBeta, dyRow, dBeta);
                if (!dGamma.IsEmpty) TensorPrimitives.FusedMultiplyAdd(dyRow, xhat, dGamma, dGamma);
                if (dx.IsEmpty) continue;
                if (gamma.IsEmpty) dyRow.CopyTo(g);
                else TensorPrimitives.Multiply(dyRow, gamma, g);
                float meanG = TensorPrimitives.Sum(g) / size, meanGX = TensorPrimitives.Dot(g, xhat) / size;
                var dxRow = dx.Slice(r * size, size);
                // dx = invStd·g − invStd·meanGX·x̂ − invStd·meanG
                Affine(xhat, -invStd[r] * meanGX, -invStd[r] * meanG, dxRow);
                TensorPrimitives.MultiplyAdd(g, invStd[r], dxRow, dxRow);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>y = a·x + b with scalar a and b (TensorPrimitives has no scalar-scalar multiply-add).</summary>
    internal static void Affine(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        if (y.Length != x.Length) throw new ArgumentException($"Affine: x has {x.Length} values, y {y.Length}.");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            for (; i + 16 <= x.Length; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, 16)), va, vb).CopyTo(y.Slice(i, 16));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i + 8 <= x.Length; i += 8)
                Vector256.FusedMultiplyAdd(Vector256.Create(x.Slice(i, 8)), va, vb).CopyTo(y.Slice(i, 8));
        }
        for (; i < x.Length; i++) y[i] = MathF.FusedMultiplyAdd(x[i], a, b);
    }

    /// <summary>Σ(x − μ)², using <paramref name="scratch"/> (at least x's length) for the deviations.</summary>
    private static double SumOfSquaredDeviations(ReadOnlySpan<float> x, float mu, Span<float> scratch)
    {
        var d = scratch[..x.Length];
        TensorPrimitives.Subtract(x, mu, d);
        return TensorPrimitives.SumOfSquares(d);
    }

    private static unsafe ReadOnlySpan<float> Plane(float* values, int n, int c, int channels, int size) =>
        new(values + ((long)n * channels + c) * size, size);

    private static unsafe Span<float> PlaneOut(float* values, int n, int c, int channels, int size) =>
        new(values + ((long)n * channels + c) * size, size);
}
