namespace Dendrite.Backends;

/// <summary>
/// The shape of one 2-D convolution, seen from the convolution that maps an "image" [N, ImageChannels, Height, Width]
/// to "columns" [N, ColumnChannels, OutHeight, OutWidth] with a [ColumnChannels, ImageChannels/Groups, KernelH, KernelW]
/// weight. A transposed convolution runs the same geometry backwards (its input is the column side), and a 1-D
/// convolution is the special case Height = KernelH = 1.
/// </summary>
public readonly record struct ConvGeometry
{
    public int Batch { get; init; }
    public int ImageChannels { get; init; }
    public int Height { get; init; }
    public int Width { get; init; }
    public int ColumnChannels { get; init; }
    public int KernelH { get; init; }
    public int KernelW { get; init; }
    public int StrideH { get; init; }
    public int StrideW { get; init; }
    /// <summary>Zero rows added above the image; <see cref="PadBottom"/> may differ ("same" padding with an even kernel).</summary>
    public int PadTop { get; init; }
    public int PadBottom { get; init; }
    public int PadLeft { get; init; }
    public int PadRight { get; init; }
    public int DilationH { get; init; }
    public int DilationW { get; init; }
    public int Groups { get; init; }

    public int OutHeight => (Height + PadTop + PadBottom - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutWidth => (Width + PadLeft + PadRight - DilationW * (KernelW - 1) - 1) / StrideW + 1;

    public int ImageChannelsPerGroup => ImageChannels / Groups;
    public int ColumnChannelsPerGroup => ColumnChannels / Groups;
    /// <summary>Rows of one group's column matrix: one per (input channel, kernel row, kernel column).</summary>
    public int PatchSize => ImageChannelsPerGroup * KernelH * KernelW;
    public int ImageSize => Height * Width;
    public int OutSize => OutHeight * OutWidth;

    /// <summary>A 1×1 kernel with unit stride and no padding reads the image as its own column matrix.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1
        && PadTop == 0 && PadBottom == 0 && PadLeft == 0 && PadRight == 0;
}
