namespace Dendrite.Visualization;

/// <summary>
/// Points coloured by class label (<see cref="Palette"/>: label k gets colour k mod 10), with axes, grid and numbered
/// ticks, saved as PNG; for example MNIST test digits in a 2-D latent space.
/// </summary>
public sealed class ScatterPlot(int width = 600, int height = 600)
{
    private readonly List<(double X, double Y, int Label)> _points = [];

    /// <summary>Radius of each dot in pixels.</summary>
    public int PointRadius { get; set; } = 2;

    /// <summary>How many points were added.</summary>
    public int Count => _points.Count;

    /// <summary>Adds one point of class <paramref name="label"/>.</summary>
    public ScatterPlot Add(double x, double y, int label)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y))
            throw new ArgumentException($"ScatterPlot.Add: point ({x}, {y}) is not finite and cannot be drawn.");
        if (label < 0) throw new ArgumentOutOfRangeException(nameof(label), $"ScatterPlot.Add: labels are class indices >= 0, got {label}.");
        _points.Add((x, y, label));
        return this;
    }

    /// <summary>Adds the rows of <paramref name="points"/> [N, 2] with class indices <paramref name="labels"/> [N].</summary>
    public ScatterPlot Add(Tensor points, Tensor labels)
    {
        if (points.Rank != 2 || points.Shape[1] != 2 || labels.Numel != points.Shape[0])
            throw new ShapeMismatchException(
                $"ScatterPlot.Add: expected points [N, 2] and labels [N], got points {points.Shape} and labels {labels.Shape}.");
        var p = points.Data;
        var l = labels.Data;
        for (int i = 0; i < points.Shape[0]; i++) Add(p[2 * i], p[2 * i + 1], (int)l[i]);
        return this;
    }

    /// <summary>Draws the plot on a fresh white canvas, points in the order added.</summary>
    public Canvas Render()
    {
        if (_points.Count == 0) throw new InvalidOperationException("ScatterPlot: add points before rendering.");
        var canvas = new Canvas(width, height);
        var frame = new PlotFrame(canvas, (_points.Min(p => p.X), _points.Max(p => p.X)), (_points.Min(p => p.Y), _points.Max(p => p.Y)));
        frame.Draw();
        foreach (var (x, y, label) in _points)
            canvas.FillCircle(frame.PixelX(x), frame.PixelY(y), PointRadius, Palette.Color(label));
        return canvas;
    }

    /// <summary>Renders and writes the plot as an RGB PNG (atomically).</summary>
    public void Save(string path) => Render().Save(path);
}
