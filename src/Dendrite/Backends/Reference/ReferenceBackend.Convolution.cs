namespace Dendrite.Backends.Reference;

/// <remarks>
/// Layouts: image [N, C, H, W], columns [N, K, OH, OW], weight [K, C/G, KH, KW]. Column channel k belongs to group
/// k / (K/G) and sees image channels group·(C/G) … (group + 1)·(C/G) − 1; output (oy, ox) reads through tap (i, j) the
/// pixel (oy·strideH − padTop + i·dilationH, ox·strideW − padLeft + j·dilationW), zero outside the image.
/// </remarks>
public sealed partial class ReferenceBackend
{
    /// <summary>
    /// Calls <paramref name="tap"/> (image index, weight index, column index) for every product the convolution sums,
    /// the pixels that fall into the padding left out: the one definition the three directions share.
    /// </summary>
    private static void ForEachTap(in ConvGeometry g, Action<int, int, int> tap)
    {
        int inPerGroup = g.ImageChannelsPerGroup;
        int outPerGroup = g.ColumnChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.ColumnChannels; k++)
            {
                int group = k / outPerGroup;
                for (int oy = 0; oy < g.OutHeight; oy++)
                    for (int ox = 0; ox < g.OutWidth; ox++)
                    {
                        int column = ((n * g.ColumnChannels + k) * g.OutHeight + oy) * g.OutWidth + ox;
                        for (int c = 0; c < inPerGroup; c++)
                            for (int i = 0; i < g.KernelH; i++)
                                for (int j = 0; j < g.KernelW; j++)
                                {
                                    int iy = oy * g.StrideH - g.PadTop + i * g.DilationH;
                                    int ix = ox * g.StrideW - g.PadLeft + j * g.DilationW;
                                    if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                                    int channel = group * inPerGroup + c;
                                    int pixel = ((n * g.ImageChannels + channel) * g.Height + iy) * g.Width + ix;
                                    int weight = ((k * inPerGroup + c) * g.KernelH + i) * g.KernelW + j;
                                    tap(pixel, weight, column);
                                }
                    }
            }
    }

    /// <remarks>The reference packs nothing (<see cref="Backend.PackConvWeights"/> stays null), so a pack is never given here.</remarks>
    public override void ConvForward(in ConvGeometry g, Storage image, Storage weight, Storage? bias, Storage columns,
        PackedWeights? packed = null)
    {
        var sums = new double[Values(columns).Length];
        ForEachTap(g, (pixel, tap, column) => sums[column] += (double)Values(image)[pixel] * Values(weight)[tap]);
        WriteColumns(g, sums, bias, columns);
    }

    /// <summary>columns = the sums, plus bias[k] on column channel k.</summary>
    private static void WriteColumns(in ConvGeometry g, double[] sums, Storage? bias, Storage columns)
    {
        var y = Values(columns);
        var b = OptionalValues(bias);
        for (int i = 0; i < y.Length; i++)
        {
            int k = i / g.OutSize % g.ColumnChannels;
            y[i] = (float)(sums[i] + (b.IsEmpty ? 0 : b[k]));
        }
    }

    public override void ConvBackwardData(in ConvGeometry g, Storage columnsGrad, Storage weight, Storage imageGrad)
    {
        // The adjoint sends each column's gradient back along every tap that read a pixel.
        var sums = new double[Values(imageGrad).Length];
        ForEachTap(g, (pixel, tap, column) => sums[pixel] += (double)Values(columnsGrad)[column] * Values(weight)[tap]);
        WriteSums(sums, imageGrad);
    }

    public override void ConvBackwardWeight(in ConvGeometry g, Storage image, Storage columnsGrad, Storage weightGrad)
    {
        var sums = new double[Values(weightGrad).Length];
        ForEachTap(g, (pixel, tap, column) => sums[tap] += (double)Values(columnsGrad)[column] * Values(image)[pixel]);
        WriteSums(sums, weightGrad);
    }

    private static void WriteSums(double[] sums, Storage target)
    {
        var y = Values(target);
        for (int i = 0; i < y.Length; i++) y[i] = (float)sums[i];
    }

    public override void ConvBackwardBias(in ConvGeometry g, Storage columnsGrad, Storage biasGrad) =>
        SumPerChannel(columnsGrad, g.Batch, g.ColumnChannels, g.OutSize, biasGrad);

    public override void SumPerChannel(Storage values, int batch, int channels, int size, Storage sums)
    {
        var v = Values(values);
        var s = Values(sums);
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < size; p++) sum += v[(n * channels + c) * size + p];
            s[c] = (float)sum;
        }
    }

    public override void AddPerChannel(Storage values, Storage perChannel, int batch, int channels, int size)
    {
        var v = Values(values);
        var add = Values(perChannel);
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < size; p++) v[(n * channels + c) * size + p] += add[c];
    }

    // ------------------------------------------------------------------ pooling and resampling

    public override void MaxPoolForward(in PoolGeometry g, Storage x, Storage y, Storage argMax)
    {
        var input = Values(x);
        var output = Values(y);
        var at = Values(argMax);
        for (int plane = 0; plane < g.Planes; plane++)
        {
            var planeValues = input.Slice(plane * g.ImageSize, g.ImageSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    // Taps in the padding are skipped, so padding never wins; the first tap inside takes the lead.
                    int winner = -1;
                    for (int i = 0; i < g.KernelH; i++)
                        for (int j = 0; j < g.KernelW; j++)
                        {
                            int iy = oy * g.StrideH - g.PadH + i * g.DilationH;
                            int ix = ox * g.StrideW - g.PadW + j * g.DilationW;
                            if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                            int index = iy * g.Width + ix;
                            if (winner < 0 || Beats(planeValues[index], planeValues[winner])) winner = index;
                        }
                    int o = plane * g.OutSize + oy * g.OutWidth + ox;
                    output[o] = winner < 0 ? float.NegativeInfinity : planeValues[winner];
                    at[o] = winner;
                }
        }
    }

    public override void MaxPoolBackward(in PoolGeometry g, Storage dy, Storage argMax, Storage dx)
    {
        var gy = Values(dy);
        var at = Values(argMax);
        var d = Values(dx);
        d.Clear();
        for (int plane = 0; plane < g.Planes; plane++)
            for (int o = 0; o < g.OutSize; o++)
            {
                int index = (int)at[plane * g.OutSize + o];
                if (index >= 0) d[plane * g.ImageSize + index] += gy[plane * g.OutSize + o];
            }
    }

    /// <summary>
    /// The in-image rows [Y0, Y1) and columns [X0, X1) of an average window and what its sum is divided by: the
    /// window clipped to the padded image (a ceil-mode window may hang past it) when padding counts, else to the image.
    /// </summary>
    private static (int Y0, int Y1, int X0, int X1, int Divisor) AverageWindow(in PoolGeometry g, int oy, int ox,
        bool countIncludePad)
    {
        int top = oy * g.StrideH - g.PadH;
        int left = ox * g.StrideW - g.PadW;
        int bottom = Math.Min(top + g.KernelH, g.Height + g.PadH);
        int right = Math.Min(left + g.KernelW, g.Width + g.PadW);
        int padded = (bottom - top) * (right - left);
        int y0 = Math.Max(top, 0);
        int x0 = Math.Max(left, 0);
        int y1 = Math.Max(y0, Math.Min(bottom, g.Height));
        int x1 = Math.Max(x0, Math.Min(right, g.Width));
        return (y0, y1, x0, x1, countIncludePad ? padded : (y1 - y0) * (x1 - x0));
    }

    public override void AvgPoolForward(in PoolGeometry g, bool countIncludePad, Storage x, Storage y)
    {
        var input = Values(x);
        var output = Values(y);
        for (int plane = 0; plane < g.Planes; plane++)
            for (int oy = 0; oy < g.OutHeight; oy++)
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    var (y0, y1, x0, x1, divisor) = AverageWindow(g, oy, ox, countIncludePad);
                    double sum = 0;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) sum += input[plane * g.ImageSize + iy * g.Width + ix];
                    output[plane * g.OutSize + oy * g.OutWidth + ox] = divisor == 0 ? 0f : (float)(sum / divisor);
                }
    }

    public override void AvgPoolBackward(in PoolGeometry g, bool countIncludePad, Storage dy, Storage dx)
    {
        var gy = Values(dy);
        var sums = new double[Values(dx).Length];
        for (int plane = 0; plane < g.Planes; plane++)
            for (int oy = 0; oy < g.OutHeight; oy++)
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    var (y0, y1, x0, x1, divisor) = AverageWindow(g, oy, ox, countIncludePad);
                    if (divisor == 0) continue;
                    double share = (double)gy[plane * g.OutSize + oy * g.OutWidth + ox] / divisor;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) sums[plane * g.ImageSize + iy * g.Width + ix] += share;
                }
        WriteSums(sums, dx);
    }

    /// <summary>Input rows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) averaged into output i, (PyTorch's adaptive windows).</summary>
    private static (int Start, int End) AdaptiveWindow(int i, int inSize, int outSize) =>
        ((int)Math.Floor((double)i * inSize / outSize), (int)Math.Ceiling((double)(i + 1) * inSize / outSize));

    public override void AdaptiveAvgPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y)
    {
        var input = Values(x);
        var output = Values(y);
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    var (y0, y1) = AdaptiveWindow(oy, h, outH);
                    var (x0, x1) = AdaptiveWindow(ox, w, outW);
                    double sum = 0;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) sum += input[(p * h + iy) * w + ix];
                    output[(p * outH + oy) * outW + ox] = (float)(sum / ((y1 - y0) * (x1 - x0)));
                }
    }

    public override void AdaptiveAvgPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx)
    {
        var gy = Values(dy);
        var sums = new double[Values(dx).Length];
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    var (y0, y1) = AdaptiveWindow(oy, h, outH);
                    var (x0, x1) = AdaptiveWindow(ox, w, outW);
                    double share = (double)gy[(p * outH + oy) * outW + ox] / ((y1 - y0) * (x1 - x0));
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) sums[(p * h + iy) * w + ix] += share;
                }
        WriteSums(sums, dx);
    }

    /// <summary>The input index output i copies: ⌊i·in/out⌋.</summary>
    private static int NearestSource(int i, int inSize, int outSize) => (int)((long)i * inSize / outSize);

    public override void UpsampleNearest(int planes, int h, int w, int outH, int outW, Storage x, Storage y)
    {
        var input = Values(x);
        var output = Values(y);
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    int source = (p * h + NearestSource(oy, h, outH)) * w + NearestSource(ox, w, outW);
                    output[(p * outH + oy) * outW + ox] = input[source];
                }
    }

    public override void UpsampleNearestBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx)
    {
        var gy = Values(dy);
        var sums = new double[Values(dx).Length];
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    int source = (p * h + NearestSource(oy, h, outH)) * w + NearestSource(ox, w, outW);
                    sums[source] += gy[(p * outH + oy) * outW + ox];
                }
        WriteSums(sums, dx);
    }
}
