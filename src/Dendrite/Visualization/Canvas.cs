using Dendrite.IO;

namespace Dendrite.Visualization;

/// <summary>
/// An RGB raster to draw plots on: pixels, rectangles, lines, dots and numbers in a tiny built-in font; saved as PNG.
/// (0, 0) is the top-left pixel; drawing outside the canvas is clipped, never an error.
/// </summary>
public sealed class Canvas
{
    private readonly byte[] _pixels;

    /// <summary>A canvas filled with <paramref name="background"/> (white when null).</summary>
    public Canvas(int width, int height, Rgb? background = null)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"Canvas: width and height must be >= 1, got {width}x{height}.");
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background ?? Rgb.White);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public Rgb this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new Rgb(_pixels[i], _pixels[i + 1], _pixels[i + 2]);
        }
    }

    /// <summary>Sets one pixel; ignored outside the canvas.</summary>
    public void SetPixel(int x, int y, Rgb color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        _pixels[i] = color.R;
        _pixels[i + 1] = color.G;
        _pixels[i + 2] = color.B;
    }

    /// <summary>Fills the rectangle with top-left corner (x, y) and the given size.</summary>
    public void FillRect(int x, int y, int width, int height, Rgb color)
    {
        for (int row = Math.Max(0, y); row < Math.Min(Height, y + height); row++)
            for (int col = Math.Max(0, x); col < Math.Min(Width, x + width); col++)
                SetPixel(col, row, color);
    }

    /// <summary>A straight line from (x0, y0) to (x1, y1), both ends included (Bresenham), <paramref name="thickness"/> pixels wide.</summary>
    public void DrawLine(int x0, int y0, int x1, int y1, Rgb color, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int error = dx + dy;
        int before = (thickness - 1) / 2;
        while (true)
        {
            FillRect(x0 - before, y0 - before, thickness, thickness, color);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * error;
            if (e2 >= dy) { error += dy; x0 += sx; }
            if (e2 <= dx) { error += dx; y0 += sy; }
        }
    }

    /// <summary>A filled disc of <paramref name="radius"/> pixels around (cx, cy); radius 0 is one pixel.</summary>
    public void FillCircle(int cx, int cy, int radius, Rgb color)
    {
        for (int y = -radius; y <= radius; y++)
            for (int x = -radius; x <= radius; x++)
                if (x * x + y * y <= radius * radius + radius) SetPixel(cx + x, cy + y, color);
    }

    /// <summary>
    /// Draws <paramref name="text"/> with its top-left corner at (x, y) in a 3×5 pixel font magnified by
    /// <paramref name="scale"/>. The font knows digits and ". - + e" (enough for axis ticks); other characters are
    /// drawn as blanks.
    /// </summary>
    public void DrawText(int x, int y, string text, Rgb color, int scale = 2)
    {
        foreach (char ch in text)
        {
            var rows = TinyFont.Glyph(ch);
            for (int r = 0; r < rows.Length; r++)
                for (int c = 0; c < 3; c++)
                    if ((rows[r] >> (2 - c) & 1) != 0) FillRect(x + c * scale, y + r * scale, scale, scale, color);
            x += TinyFont.Advance * scale;
        }
    }

    /// <summary>Width in pixels of <paramref name="text"/> drawn by <see cref="DrawText"/> at <paramref name="scale"/>.</summary>
    public static int TextWidth(string text, int scale = 2) => text.Length == 0 ? 0 : (text.Length * TinyFont.Advance - 1) * scale;

    /// <summary>Writes the canvas as an RGB PNG (atomically).</summary>
    public void Save(string path) => Png.WritePixels(path, _pixels, Width, Height, 3);
}
