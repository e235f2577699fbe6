using Dendrite.Tests.TestSupport;
using Dendrite.Visualization;
using StbImageSharp;

namespace Dendrite.Tests.Visualization;

public class PlotTests
{
    private static ImageResult Decode(string path) =>
        ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);

    private static int CountColor(ImageResult image, Rgb color)
    {
        int count = 0;
        for (int i = 0; i < image.Data.Length; i += 3)
            if (image.Data[i] == color.R && image.Data[i + 1] == color.G && image.Data[i + 2] == color.B) count++;
        return count;
    }

    [Theory]
    [InlineData(0.0, 1.0, 0.0, 1.0, 0.2)]       // step 0.2 → 0, 0.2, …, 1
    [InlineData(0.13, 0.87, 0.1, 0.9, 0.1)]     // widened outwards to whole steps
    [InlineData(1.0, 10.0, 0.0, 10.0, 2.0)]
    [InlineData(3.0, 3.0, 2.7, 3.3, 0.1)]       // an empty range grows by ±10%
    public void Axis_ranges_widen_to_nice_steps(double min, double max, double niceMin, double niceMax, double step)
    {
        var (lo, hi, ticks) = PlotFrame.NiceAxis(min, max);
        Assert.Equal(niceMin, lo, 9);
        Assert.Equal(niceMax, hi, 9);
        Assert.Equal(step, ticks[1] - ticks[0], 9);
        Assert.Equal(lo, ticks[0], 9);
        Assert.Equal(hi, ticks[^1], 9);
    }

    [Fact]
    public void Tick_labels_carry_the_decimals_the_step_needs()
    {
        Assert.Equal(["0.0", "0.2", "0.4"], PlotFrame.Labels([0, 0.2, 0.4]));
        Assert.Equal(["0", "5", "10"], PlotFrame.Labels([0, 5, 10]));
        Assert.Equal(["0", "2e+5", "4e+5"], PlotFrame.Labels([0, 2e5, 4e5]));
    }

    [Fact]
    public void Canvas_line_covers_both_ends_and_the_pixels_between()
    {
        var canvas = new Canvas(5, 5);
        canvas.DrawLine(0, 0, 4, 4, Rgb.Black);
        for (int i = 0; i < 5; i++) Assert.Equal(Rgb.Black, canvas[i, i]);
        Assert.Equal(Rgb.White, canvas[1, 0]);
    }

    [Fact]
    public void Canvas_text_draws_the_glyph_bits()
    {
        var canvas = new Canvas(4, 5);
        canvas.DrawText(0, 0, "7", Rgb.Black, scale: 1);
        // "7": top row full, then only the right column.
        Assert.Equal(Rgb.Black, canvas[0, 0]);
        Assert.Equal(Rgb.Black, canvas[2, 0]);
        Assert.Equal(Rgb.White, canvas[0, 2]);
        Assert.Equal(Rgb.Black, canvas[2, 4]);
    }

    [Fact]
    public void Line_chart_is_written_with_each_series_in_its_palette_colour()
    {
        using var dir = new TempDirectory();
        var chart = new LineChart(320, 200)
            .Add([1.0, 0.5, 0.3, 0.2])
            .Add([1.1, 0.7, 0.6, 0.65]);

        chart.Save(dir.File("curves.png"));

        var image = Decode(dir.File("curves.png"));
        Assert.Equal((320, 200), (image.Width, image.Height));
        Assert.True(CountColor(image, Palette.Color(0)) > 100, "blue series missing");
        Assert.True(CountColor(image, Palette.Color(1)) > 100, "orange series missing");
        Assert.True(CountColor(image, Rgb.Black) > 200, "axes missing");
    }

    [Fact]
    public void Line_chart_maps_a_point_to_its_pixel()
    {
        // y from 0 to 1 on purpose, x 1..5: the point (3, 0.5) lies in the middle of the plot area.
        var chart = new LineChart(200, 150) { YMin = 0, YMax = 1 }.Add([0.5, 0.5, 0.5, 0.5, 0.5], Palette.Color(3));
        var canvas = chart.Render();
        var frame = new PlotFrame(canvas, (1, 5), (0, 1));
        Assert.Equal(Palette.Color(3), canvas[frame.PixelX(3), frame.PixelY(0.5)]);
        Assert.NotEqual(Palette.Color(3), canvas[frame.PixelX(3), frame.PixelY(0.9)]);
    }

    [Fact]
    public void Scatter_plot_colours_points_by_label()
    {
        using var dir = new TempDirectory();
        var points = Tensor.FromArray([0f, 0f, 1f, 1f, 0f, 1f], 3, 2);
        var labels = Tensor.FromArray([0f, 3f, 9f]);

        new ScatterPlot(200, 200).Add(points, labels).Save(dir.File("scatter.png"));

        var image = Decode(dir.File("scatter.png"));
        Assert.Equal((200, 200), (image.Width, image.Height));
        foreach (int label in new[] { 0, 3, 9 }) Assert.True(CountColor(image, Palette.Color(label)) >= 9, $"class {label} missing");
        Assert.Equal(0, CountColor(image, Palette.Color(5)));
    }

    [Fact]
    public void Bad_input_is_named()
    {
        Assert.Contains("LineChart.Add", Assert.Throws<ArgumentException>(() => new LineChart().Add([1.0, double.NaN])).Message);
        Assert.Contains("[3, 3]", Assert.Throws<ShapeMismatchException>(
            () => new ScatterPlot().Add(Tensor.Zeros(3, 3), Tensor.Zeros(3))).Message);
    }
}
