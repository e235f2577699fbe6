using Dendrite.Backends;
using ILGPU;

namespace Dendrite.Gpu.Kernels;

/// <summary>
/// One sample's, one group's column matrix [PatchSize, OutSize] (row (c, i, j), column (oy, ox)) and the image it
/// reads: Image is [N, C, H, W], Columns the scratch matrix.
/// </summary>
internal struct Im2ColArgs
{
    public ArrayView<float> Image, Columns;
    public ConvGeometry G;
    public int Sample, Group;
}

internal struct ChannelArgs
{
    public ArrayView<float> Values, PerChannel;
    public int Batch, Channels, Size;
}

internal static partial class GpuKernels
{
    /// <summary>The image pixel tap (c, i, j) of output position p reads, or 0 in the padding.</summary>
    public static void Im2Col(Index1D e, Im2ColArgs a)
    {
        var g = a.G;
        int outSize = g.OutSize, row = e / outSize, p = e % outSize;
        int j = row % g.KernelW, i = row / g.KernelW % g.KernelH, c = row / g.KernelW / g.KernelH;
        int oy = p / g.OutWidth, ox = p % g.OutWidth;
        int iy = oy * g.StrideH - g.PadTop + i * g.DilationH;
        int ix = ox * g.StrideW - g.PadLeft + j * g.DilationW;
        int channel = a.Group * g.ImageChannelsPerGroup + c;
        a.Columns[e] = iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width
            ? 0f
            : a.Image[((a.Sample * g.ImageChannels + channel) * g.Height + iy) * g.Width + ix];
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/> as a gather, one thread per pixel of the group's channels: the sum of the
    /// column-matrix gradients of every (tap, output position) that read the pixel, written (not added) to Image.
    /// </summary>
    public static void Col2Im(Index1D e, Im2ColArgs a)
    {
        var g = a.G;
        int ix = e % g.Width, iy = e / g.Width % g.Height, c = e / g.Width / g.Height;
        float sum = 0;
        for (int i = 0; i < g.KernelH; i++)
        {
            int yNumerator = iy + g.PadTop - i * g.DilationH;
            if (yNumerator < 0 || yNumerator % g.StrideH != 0) continue;
            int oy = yNumerator / g.StrideH;
            if (oy >= g.OutHeight) continue;
            for (int j = 0; j < g.KernelW; j++)
            {
                int xNumerator = ix + g.PadLeft - j * g.DilationW;
                if (xNumerator < 0 || xNumerator % g.StrideW != 0) continue;
                int ox = xNumerator / g.StrideW;
                if (ox >= g.OutWidth) continue;
                sum += a.Columns[((c * g.KernelH + i) * g.KernelW + j) * g.OutSize + oy * g.OutWidth + ox];
            }
        }
        int channel = a.Group * g.ImageChannelsPerGroup + c;
        a.Image[((a.Sample * g.ImageChannels + channel) * g.Height + iy) * g.Width + ix] = sum;
    }

    /// <summary>One thread per channel: PerChannel[c] = Σ over batch and positions.</summary>
    public static void SumPerChannel(Index1D c, ChannelArgs a)
    {
        double sum = 0;
        for (int n = 0; n < a.Batch; n++)
            for (int p = 0; p < a.Size; p++) sum += a.Values[(n * a.Channels + c) * a.Size + p];
        a.PerChannel[c] = (float)sum;
    }

    public static void AddPerChannel(Index1D i, ChannelArgs a) => a.Values[i] += a.PerChannel[i / a.Size % a.Channels];
}
