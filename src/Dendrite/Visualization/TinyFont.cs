namespace Dendrite.Visualization;

/// <summary>A 3×5 bitmap font for tick labels: each glyph is five rows of three bits, the high bit leftmost.</summary>
internal static class TinyFont
{
    /// <summary>Horizontal distance from one glyph to the next, in font pixels (three wide plus one blank).</summary>
    public const int Advance = 4;

    private static readonly byte[] s_blank = [0, 0, 0, 0, 0];

    private static readonly Dictionary<char, byte[]> s_glyphs = new()
    {
        ['0'] = [0b111, 0b101, 0b101, 0b101, 0b111],
        ['1'] = [0b010, 0b110, 0b010, 0b010, 0b111],
        ['2'] = [0b111, 0b001, 0b111, 0b100, 0b111],
        ['3'] = [0b111, 0b001, 0b111, 0b001, 0b111],
        ['4'] = [0b101, 0b101, 0b111, 0b001, 0b001],
        ['5'] = [0b111, 0b100, 0b111, 0b001, 0b111],
        ['6'] = [0b111, 0b100, 0b111, 0b101, 0b111],
        ['7'] = [0b111, 0b001, 0b001, 0b001, 0b001],
        ['8'] = [0b111, 0b101, 0b111, 0b101, 0b111],
        ['9'] = [0b111, 0b101, 0b111, 0b001, 0b111],
        ['.'] = [0b000, 0b000, 0b000, 0b000, 0b010],
        ['-'] = [0b000, 0b000, 0b111, 0b000, 0b000],
        ['+'] = [0b000, 0b010, 0b111, 0b010, 0b000],
        ['e'] = [0b000, 0b111, 0b111, 0b100, 0b111],
    };

    public static byte[] Glyph(char c) => s_glyphs.TryGetValue(c, out var rows) ? rows : s_blank;
}
