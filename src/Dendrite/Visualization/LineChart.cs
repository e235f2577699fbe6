namespace Dendrite.Visualization;

/// <summary>
/// Lines over a shared x axis, such as training and validation loss per epoch, drawn with axes, grid and numbered ticks
/// and saved as PNG. Series take the <see cref="Palette"/> colours in the order they are added (blue, orange, green…);
/// the chart has no legend text, so say in the caption or the file name which is which.
/// </summary>
/// <example><code>
/// new LineChart().Add(history["loss"]).Add(history["val_loss"]).Save("loss.png");
/// </code></example>
public sealed class LineChart(int width = 640, int height = 400)
{
    private readonly List<(double[] X, double[] Y, Rgb Color)> _series = [];

    /// <summary>Lower end of the y axis; null fits the data.</summary>
    public double? YMin { get; set; }

    /// <summary>Upper end of the y axis; null fits the data.</summary>
    public double? YMax { get; set; }

    /// <summary>How many series were added.</summary>
    public int Count => _series.Count;

    /// <summary>Adds a series at x = 1, 2, 3… (epochs), in the next palette colour unless <paramref name="color"/> is given.</summary>
    public LineChart Add(IReadOnlyList<double> y, Rgb? color = null) =>
        Add(Enumerable.Range(1, y.Count).Select(i => (double)i).ToArray(), y, color);

    /// <summary>Adds a series of points (x[i], y[i]), joined in order.</summary>
    public LineChart Add(IReadOnlyList<double> x, IReadOnlyList<double> y, Rgb? color = null)
    {
        if (x.Count != y.Count)
            throw new ArgumentException($"LineChart.Add: x has {x.Count} values but y has {y.Count}; they pair up one to one.");
        if (x.Count == 0) throw new ArgumentException("LineChart.Add: the series is empty.");
        for (int i = 0; i < x.Count; i++)
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i]))
                throw new ArgumentException($"LineChart.Add: point {i} is ({x[i]}, {y[i]}); only finite values can be drawn.");
        _series.Add((x.ToArray(), y.ToArray(), color ?? Palette.Color(_series.Count)));
        return this;
    }

    /// <summary>Draws the chart on a fresh white canvas.</summary>
    public Canvas Render()
    {
        if (_series.Count == 0) throw new InvalidOperationException("LineChart: add a series before rendering.");
        var xs = _series.SelectMany(s => s.X).ToArray();
        var ys = _series.SelectMany(s => s.Y).ToArray();
        var canvas = new Canvas(width, height);
        var frame = new PlotFrame(canvas, (xs.Min(), xs.Max()), (YMin ?? ys.Min(), YMax ?? ys.Max()));
        frame.Draw();
        foreach (var (x, y, color) in _series)
        {
            for (int i = 1; i < x.Length; i++)
                canvas.DrawLine(frame.PixelX(x[i - 1]), frame.PixelY(y[i - 1]), frame.PixelX(x[i]), frame.PixelY(y[i]), color, 2);
            if (x.Length <= 60)
                for (int i = 0; i < x.Length; i++) canvas.FillCircle(frame.PixelX(x[i]), frame.PixelY(y[i]), 2, color);
        }
        return canvas;
    }

    /// <summary>Renders and writes the chart as an RGB PNG (atomically).</summary>
    public void Save(string path) => Render().Save(path);
}
