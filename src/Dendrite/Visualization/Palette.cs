namespace Dendrite.Visualization;

/// <summary>
/// Ten distinct colours for classes and series: matplotlib's "tab10" (the default colour cycle), so class 0 is the
/// blue and class 1 the orange a matplotlib user expects.
/// </summary>
public static class Palette
{
    private static readonly Rgb[] s_tab10 =
    [
        new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28), new(0x94, 0x67, 0xbd),
        new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f), new(0xbc, 0xbd, 0x22), new(0x17, 0xbe, 0xcf),
    ];

    /// <summary>The ten colours, in order.</summary>
    public static IReadOnlyList<Rgb> Tab10 => s_tab10;

    /// <summary>The colour of class or series <paramref name="index"/>; the cycle repeats after ten.</summary>
    public static Rgb Color(int index) => s_tab10[((index % 10) + 10) % 10];
}
