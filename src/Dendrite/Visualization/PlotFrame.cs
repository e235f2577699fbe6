using System.Globalization;

namespace Dendrite.Visualization;

/// <summary>
/// The axes of a 2-D plot: data ranges widened to "nice" tick steps (1, 2 or 5 × 10ᵏ, about five ticks per axis),
/// the mapping from data to pixels, and the drawing of grid, axis lines, tick marks and tick labels.
/// </summary>
internal sealed class PlotFrame
{
    private const int LeftMargin = 64, RightMargin = 16, TopMargin = 16, BottomMargin = 30, TickLength = 5;

    private readonly Canvas _canvas;

    public PlotFrame(Canvas canvas, (double Min, double Max) x, (double Min, double Max) y)
    {
        _canvas = canvas;
        if (canvas.Width < LeftMargin + RightMargin + 8 || canvas.Height < TopMargin + BottomMargin + 8)
            throw new ArgumentException(
                $"Plot: a {canvas.Width}x{canvas.Height} canvas leaves no room for the axes; use at least {LeftMargin + RightMargin + 8}x{TopMargin + BottomMargin + 8}.");
        (XMin, XMax, XTicks) = NiceAxis(x.Min, x.Max);
        (YMin, YMax, YTicks) = NiceAxis(y.Min, y.Max);
    }

    public double XMin { get; }
    public double XMax { get; }
    public double YMin { get; }
    public double YMax { get; }
    public double[] XTicks { get; }
    public double[] YTicks { get; }

    private int Left => LeftMargin;
    private int Right => _canvas.Width - RightMargin - 1;
    private int Top => TopMargin;
    private int Bottom => _canvas.Height - BottomMargin - 1;

    /// <summary>Pixel column of data x.</summary>
    public int PixelX(double x) => Left + (int)Math.Round((x - XMin) / (XMax - XMin) * (Right - Left));

    /// <summary>Pixel row of data y (rows grow downwards).</summary>
    public int PixelY(double y) => Bottom - (int)Math.Round((y - YMin) / (YMax - YMin) * (Bottom - Top));

    /// <summary>Grid lines at the ticks, then the two axis lines with tick marks and numbers.</summary>
    public void Draw()
    {
        foreach (double t in XTicks) _canvas.DrawLine(PixelX(t), Top, PixelX(t), Bottom, Rgb.LightGrey);
        foreach (double t in YTicks) _canvas.DrawLine(Left, PixelY(t), Right, PixelY(t), Rgb.LightGrey);
        _canvas.DrawLine(Left, Top, Left, Bottom, Rgb.Black);
        _canvas.DrawLine(Left, Bottom, Right, Bottom, Rgb.Black);
        string[] xLabels = Labels(XTicks);
        string[] yLabels = Labels(YTicks);
        for (int i = 0; i < XTicks.Length; i++)
        {
            int px = PixelX(XTicks[i]);
            _canvas.DrawLine(px, Bottom, px, Bottom + TickLength, Rgb.Black);
            _canvas.DrawText(px - Canvas.TextWidth(xLabels[i]) / 2, Bottom + TickLength + 4, xLabels[i], Rgb.Black);
        }
        for (int i = 0; i < YTicks.Length; i++)
        {
            int py = PixelY(YTicks[i]);
            _canvas.DrawLine(Left - TickLength, py, Left, py, Rgb.Black);
            _canvas.DrawText(Left - TickLength - 4 - Canvas.TextWidth(yLabels[i]), py - 5, yLabels[i], Rgb.Black);
        }
    }

    /// <summary>The range widened outwards to whole tick steps, and the ticks (an empty range grows to ±0.5 or ±10%).</summary>
    internal static (double Min, double Max, double[] Ticks) NiceAxis(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
            throw new ArgumentException($"Plot: the data range [{min}, {max}] is not finite; is a value NaN or infinite?");
        if (max < min) (min, max) = (max, min);
        if (max == min)
        {
            double pad = min == 0 ? 0.5 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceStep((max - min) / 5);
        double first = Math.Floor(min / step + 1e-9) * step;
        double last = Math.Ceiling(max / step - 1e-9) * step;
        int count = (int)Math.Round((last - first) / step) + 1;
        var ticks = new double[count];
        for (int i = 0; i < count; i++) ticks[i] = first + i * step;
        return (first, last, ticks);
    }

    private static double NiceStep(double rough)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double normalized = rough / magnitude;
        double nice = normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10;
        return nice * magnitude;
    }

    /// <summary>Tick numbers with as many decimals as the step needs; exponent form for very large or small steps.</summary>
    internal static string[] Labels(double[] ticks)
    {
        double step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
        double largest = ticks.Max(Math.Abs);
        if (largest >= 1e5 || step < 1e-4)
            return ticks.Select(t => t == 0 ? "0" : t.ToString("0.##e+0", CultureInfo.InvariantCulture)).ToArray();
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return ticks.Select(t => Math.Round(t, decimals).ToString("F" + decimals, CultureInfo.InvariantCulture)).ToArray();
    }
}
