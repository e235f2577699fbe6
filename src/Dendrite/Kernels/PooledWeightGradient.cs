using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// The weight gradient of the fused [Conv2d, ReLU, MaxPool2d(2)] layers, summed directly over the pooled gradients.
/// Behind 2×2 max pooling each window passes its gradient to one position, so a quarter of the convolution's output
/// gradient at most is nonzero: dw[o, c, i, j] = Σ over samples and windows of g · x[c, y + i − pad, x + j − pad], g
/// the window's gradient and (y, x) its chosen position. With the image turned channels-last, each term is 9 taps × C
/// channels of contiguous vectors: about a fifth of the work of Winograd's 16 products over the dense gradient.
/// </summary>
/// <remarks>
/// The sums run in a fixed order (samples in fixed chunks, chunks added in order), so the result never depends on the
/// thread count; it differs from Winograd's in the last bits, as any two orders of a sum do.
/// </remarks>
internal static partial class Winograd
{
    /// <summary>Channels per pass over the windows: two vectors per tap, 18 running sums in registers.</summary>
    private const int ChannelBlock = 32;

    /// <summary>Window rows per band: 2 read 6 image rows, 20 KB of a 26-wide, 32-channel image.</summary>
    private const int BandRows = 2;

    /// <summary>
    /// dw (overwritten) from the pooled gradient and <see cref="ForwardPooled"/>'s codes, for a geometry
    /// <see cref="FitsPooled"/> accepts; the image read as relu(x) when <paramref name="reluInput"/>.
    /// </summary>
    internal static unsafe void BackwardWeightPooledDirect(in ConvGeometry g, float* x, float* dPooled, byte* codes, float* dw, bool reluInput)
    {
        int k = g.ColumnChannels, c = g.ImageChannels, cPad = (c + ChannelBlock - 1) / ChannelBlock * ChannelBlock;
        int paddedH = g.Height + g.PadTop + g.PadBottom, paddedW = g.Width + g.PadLeft + g.PadRight;
        int chunks = Math.Min(g.Batch, WeightChunks), perChunk = k * 9 * cPad;
        var partials = System.Buffers.ArrayPool<float>.Shared.Rent(chunks * perChunk);
        var geometry = g;
        try
        {
            fixed (float* pp = partials)
            {
                float* part = pp;
                Threading.For(chunks, chunk =>
                {
                    var gg = geometry;
                    int n0 = (int)((long)chunk * gg.Batch / chunks), n1 = (int)((long)(chunk + 1) * gg.Batch / chunks);
                    int size = paddedH * paddedW * cPad;
                    var scratch = t_channelsLast;
                    if (scratch is null || scratch.Length < size) t_channelsLast = scratch = GC.AllocateUninitializedArray<float>(size);
                    fixed (float* image = scratch)
                    {
                        float* sums = part + (long)chunk * perChunk;
                        for (int n = n0; n < n1; n++)
                        {
                            ChannelsLast(gg, x + (long)n * c * gg.ImageSize, reluInput, cPad, paddedW, image);
                            // Bands of window rows, every output channel through each: the band's image rows (a few
                            // KB) stay in L1, where one channel's pass over the whole image streamed it from L2.
                            int ph = gg.OutHeight / 2, pw = gg.OutWidth / 2;
                            for (int py0 = 0; py0 < ph; py0 += BandRows)
                                for (int o = 0; o < k; o++)
                                    for (int c0 = 0; c0 < cPad; c0 += ChannelBlock)
                                        WindowSums(gg, dPooled + ((long)n * k + o) * ph * pw, codes + ((long)n * k + o) * ph * pw,
                                            py0, Math.Min(ph, py0 + BandRows), image + c0, cPad, paddedW,
                                            sums + (long)o * 9 * cPad + c0, cPad, first: n == n0 && py0 == 0);
                        }
                    }
                });
                // Chunks added in order, then back to [K, C, 3, 3].
                int filters = k * c;
                Threading.For((filters + FiltersPerTask - 1) / FiltersPerTask, task =>
                {
                    for (int f = task * FiltersPerTask; f < Math.Min(filters, (task + 1) * FiltersPerTask); f++)
                    {
                        int o = f / c, ch = f % c;
                        for (int tap = 0; tap < 9; tap++)
                        {
                            long slot = ((long)o * 9 + tap) * cPad + ch;
                            float sum = part[slot];
                            for (int chunk = 1; chunk < chunks; chunk++) sum += part[(long)chunk * perChunk + slot];
                            dw[(long)f * 9 + tap] = sum;
                        }
                    }
                }, parallel: filters >= FiltersPerTask * 2);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(partials);
        }
    }

    [ThreadStatic] private static float[]? t_channelsLast;

    /// <summary>One sample's image [C, H, W] as [H + pads, W + pads, cPad]: zero borders and zero channels past C,
    /// relu(x) when asked.</summary>
    private static unsafe void ChannelsLast(in ConvGeometry g, float* image, bool relu, int cPad, int paddedW, float* dst)
    {
        int h = g.Height, w = g.Width, c = g.ImageChannels, paddedH = h + g.PadTop + g.PadBottom, plane = h * w;
        long rowFloats = (long)paddedW * cPad;
        new Span<float>(dst, (int)(g.PadTop * rowFloats)).Clear();
        new Span<float>(dst + (g.PadTop + h) * rowFloats, (int)(g.PadBottom * rowFloats)).Clear();
        var channel = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create(plane);
        Span<float> lanes = stackalloc float[8];
        for (int y = 0; y < h; y++)
        {
            float* row = dst + (y + g.PadTop) * rowFloats;
            new Span<float>(row, g.PadLeft * cPad).Clear();
            new Span<float>(row + (long)(g.PadLeft + w) * cPad, g.PadRight * cPad).Clear();
            for (int xx = 0; xx < w; xx++)
            {
                float* to = row + (long)(g.PadLeft + xx) * cPad;
                float* from = image + (long)y * w + xx;
                for (int c0 = 0; c0 < cPad; c0 += 8)
                {
                    // Eight channels of one pixel, a plane apart: gathered (masked past the last channel).
                    Vector256<float> v;
                    if (Avx2.IsSupported)
                    {
                        var inside = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(c - c0)).AsSingle();
                        v = Avx2.GatherMaskVector256(Vector256<float>.Zero, from + (long)c0 * plane, channel, inside, 4);
                    }
                    else
                    {
                        for (int t = 0; t < 8; t++) lanes[t] = c0 + t < c ? from[(long)(c0 + t) * plane] : 0f;
                        v = Vector256.Create<float>(lanes);
                    }
                    if (relu) v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero) | ~Vector256.Equals(v, v), v, Vector256<float>.Zero);
                    Vector256.Store(v, to + c0);
                }
            }
        }
    }

    /// <summary>
    /// sums[tap, 0 .. 32) (+)= Σ over one output channel's windows in rows [py0, py1) of g · image[y + i, x + j, 0 .. 32), tap = 3i + j, rows
    /// of sums <paramref name="sumStride"/> apart. Closed windows add +0 at their first position.
    /// </summary>
    private static unsafe void WindowSums(in ConvGeometry g, float* gradient, byte* code, int py0, int py1, float* image, int cPad,
        int paddedW, float* sums, int sumStride, bool first)
    {
        int pw = g.OutWidth / 2;
        long rowStep = (long)paddedW * cPad;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default;
        for (int py = py0; py < py1; py++)
            for (int px = 0; px < pw; px++)
            {
                // Without branches (open or closed is a coin toss): a closed window's code, 4, has offsets (0, 0), and
                // its gradient is masked to +0 whatever it holds, as ReLU's backward pass masks it.
                int at = code[py * pw + px], keep = (at - Closed) >> 31;
                var v = Vector512.Create(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(gradient[py * pw + px]) & keep));
                int y = 2 * py + ((at >> 1) & 1), xx = 2 * px + (at & 1);
                float* p = image + y * rowStep + (long)xx * cPad;
                (a0, b0) = Tap(p, v, a0, b0); (a1, b1) = Tap(p + cPad, v, a1, b1); (a2, b2) = Tap(p + 2 * cPad, v, a2, b2);
                p += rowStep;
                (a3, b3) = Tap(p, v, a3, b3); (a4, b4) = Tap(p + cPad, v, a4, b4); (a5, b5) = Tap(p + 2 * cPad, v, a5, b5);
                p += rowStep;
                (a6, b6) = Tap(p, v, a6, b6); (a7, b7) = Tap(p + cPad, v, a7, b7); (a8, b8) = Tap(p + 2 * cPad, v, a8, b8);
            }
        Put(sums, a0, b0, first); Put(sums + sumStride, a1, b1, first); Put(sums + 2L * sumStride, a2, b2, first);
        Put(sums + 3L * sumStride, a3, b3, first); Put(sums + 4L * sumStride, a4, b4, first); Put(sums + 5L * sumStride, a5, b5, first);
        Put(sums + 6L * sumStride, a6, b6, first); Put(sums + 7L * sumStride, a7, b7, first); Put(sums + 8L * sumStride, a8, b8, first);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector512<float>, Vector512<float>) Tap(float* p, Vector512<float> v, Vector512<float> a, Vector512<float> b) =>
        (Vector512.FusedMultiplyAdd(v, Vector512.Load(p), a), Vector512.FusedMultiplyAdd(v, Vector512.Load(p + 16), b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(float* at, Vector512<float> a, Vector512<float> b, bool first)
    {
        if (!first)
        {
            a += Vector512.Load(at);
            b += Vector512.Load(at + 16);
        }
        Vector512.Store(a, at);
        Vector512.Store(b, at + 16);
    }
}
