using Dendrite.IO;
using Dendrite.NN;

namespace Dendrite.Visualization;

/// <summary>
/// Pictures of what a convolutional network has learned, as the course shows them: the first layer's filters, and the
/// feature maps one image produces after each convolution. Written as PNG grids (<see cref="Png.WriteGrid(string, Tensor, int, int, float, PixelScale)"/>).
/// </summary>
/// <remarks>
/// Every tile (one filter, or one feature map) is min–max scaled on its own: its smallest value is black and its
/// largest white (a constant tile is black). Weights and activations have arbitrary ranges, and a shared range would
/// leave most tiles grey; the price is that tiles cannot be compared by brightness. Tiles are upscaled by
/// nearest-neighbour so a 3×3 filter is visible, and separated by 2-pixel lines (grey between filters, white between
/// feature maps, unless told otherwise).
/// </remarks>
public static class ConvViz
{
    /// <summary>File name of the first layer's filters in <see cref="WriteAll"/>.</summary>
    public const string FiltersFile = "filters.png";

    /// <summary>File name of the input image in <see cref="WriteAll"/>.</summary>
    public const string InputFile = "input.png";

    private const int Padding = 2;

    /// <summary>
    /// Writes the filters of a convolution weight [Cout, Cin, kH, kW] as a grid. With Cin = 1 each filter is a grey tile;
    /// with Cin = 3 an RGB tile; otherwise each (output, input) channel pair gets a grey tile, one row per output channel.
    /// </summary>
    /// <param name="scale">Upscaling factor: each weight becomes a <paramref name="scale"/>×<paramref name="scale"/> block.</param>
    /// <param name="columns">Tiles per row (ignored when Cin is not 1 or 3: then a row holds Cin tiles).</param>
    /// <param name="padValue">Intensity of the lines between tiles, in [0, 1]: mid-grey by default, since a filter's
    /// extremes are both black and white.</param>
    /// <exception cref="ShapeMismatchException">The weight is not 4-D.</exception>
    public static void WriteFilters(string path, Tensor weight, int scale = 8, int columns = 8, float padValue = 0.5f)
    {
        if (weight.Rank != 4)
            throw new ShapeMismatchException($"ConvViz.WriteFilters: expected a Conv2d weight [Cout, Cin, kH, kW], got {weight.Shape}.");
        CheckLayout(scale, columns, nameof(WriteFilters));
        int cout = weight.Shape[0], cin = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        using var _ = Tensor.NoGrad();
        Tensor tiles;
        if (cin is 1 or 3)
        {
            tiles = ScaleEachTile(weight, cout);                                // one filter (all its input channels) per tile
        }
        else
        {
            tiles = ScaleEachTile(weight.Reshape(cout * cin, 1, kh, kw), cout * cin);
            columns = cin;
        }
        Png.WriteGrid(path, Upscale(tiles, scale), columns, Padding, padValue);
    }

    /// <summary>Writes the filters of the first <see cref="Conv2d"/> in <paramref name="model"/> (depth first); see <see cref="WriteFilters(string, Tensor, int, int, float)"/>.</summary>
    /// <exception cref="ArgumentException">The model has no Conv2d layer.</exception>
    public static void WriteFilters(string path, Module model, int scale = 8, int columns = 8, float padValue = 0.5f) =>
        WriteFilters(path, FirstConv2d(model).Weight, scale, columns, padValue);

    /// <summary>
    /// Writes feature maps [C, H, W] (or one sample [1, C, H, W]) as a grid of grey tiles, each map min–max scaled on its own.
    /// </summary>
    /// <param name="padValue">Intensity of the lines between tiles, in [0, 1]: white by default.</param>
    /// <exception cref="ShapeMismatchException">The maps are neither [C, H, W] nor [1, C, H, W].</exception>
    public static void WriteFeatureMaps(string path, Tensor maps, int scale = 2, int columns = 8, float padValue = 1f)
    {
        if (!(maps.Rank == 3 || maps.Rank == 4 && maps.Shape[0] == 1))
            throw new ShapeMismatchException(
                $"ConvViz.WriteFeatureMaps: expected the maps of one sample, [C, H, W] or [1, C, H, W], got {maps.Shape}.");
        CheckLayout(scale, columns, nameof(WriteFeatureMaps));
        int c = maps.Shape[^3], h = maps.Shape[^2], w = maps.Shape[^1];
        using var _ = Tensor.NoGrad();
        var tiles = ScaleEachTile(maps.Reshape(c, 1, h, w), c);
        Png.WriteGrid(path, Upscale(tiles, scale), columns, Padding, padValue);
    }

    /// <summary>
    /// Runs <paramref name="model"/> on one image ([H, W], [C, H, W] or [1, C, H, W]) in eval mode without recording and
    /// writes the output of every <see cref="Conv2d"/> it calls, in call order, as "feature-maps-1.png",
    /// "feature-maps-2.png", … in <paramref name="directory"/> (created if missing). The outputs are caught by forward
    /// hooks (see <see cref="Module.RegisterForwardHook"/>), so the layers must be reached through <see cref="Module.Call"/>,
    /// as <see cref="Sequential"/> does. The model's mode is restored afterwards.
    /// </summary>
    /// <returns>The files written, first layer first.</returns>
    /// <exception cref="ArgumentException">No Conv2d ran.</exception>
    public static IReadOnlyList<string> WriteFeatureMaps(string directory, Module model, Tensor image, int scale = 2, int columns = 8)
    {
        var input = AsBatchOfOne(image);
        var outputs = new List<Tensor>();
        var hooks = model.Modules().OfType<Conv2d>()
            .Select(conv => conv.RegisterForwardHook((_, _, output) => outputs.Add(output.Detach().Clone())))
            .ToList();
        bool wasTraining = model.Training;
        try
        {
            model.Eval();
            using var _ = Tensor.NoGrad();
            model.Call(input);
        }
        finally
        {
            foreach (var hook in hooks) hook.Dispose();
            model.Train(wasTraining);
        }
        if (outputs.Count == 0)
            throw new ArgumentException($"ConvViz.WriteFeatureMaps: no Conv2d layer ran in {model.GetType().Name}; there are no feature maps to draw.");
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        for (int i = 0; i < outputs.Count; i++)
        {
            string path = Path.Combine(directory, FeatureMapsFile(i + 1));
            WriteFeatureMaps(path, outputs[i], scale, columns);
            files.Add(path);
        }
        return files;
    }

    /// <summary>File name of the feature maps of the <paramref name="layer"/>-th Conv2d (from 1) in <see cref="WriteAll"/>.</summary>
    public static string FeatureMapsFile(int layer) => $"feature-maps-{layer}.png";

    /// <summary>
    /// Writes a convolutional model's pictures for one image into <paramref name="directory"/>: the image itself
    /// (<see cref="InputFile"/>, values read as intensities in [0, 1], as <see cref="Data.Mnist"/> loads them), the first Conv2d's filters (<see cref="FiltersFile"/>) and
    /// the feature maps after each Conv2d (<see cref="FeatureMapsFile"/>).
    /// </summary>
    /// <returns>The files written, in that order.</returns>
    public static IReadOnlyList<string> WriteAll(string directory, Module model, Tensor image)
    {
        var input = AsBatchOfOne(image);
        var conv = FirstConv2d(model);
        Directory.CreateDirectory(directory);
        string inputPath = Path.Combine(directory, InputFile), filtersPath = Path.Combine(directory, FiltersFile);
        int channels = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        var picture = input.Reshape(channels, h, w);
        Png.Write(inputPath, channels is 1 or 3 ? picture : picture.Slice(0, 1).Reshape(h, w));   // else the first channel
        WriteFilters(filtersPath, conv.Weight);
        return [inputPath, filtersPath, .. WriteFeatureMaps(directory, model, input)];
    }

    /// <summary>The first <see cref="Conv2d"/> of <paramref name="model"/>, depth first (the model itself included).</summary>
    /// <exception cref="ArgumentException">There is none.</exception>
    public static Conv2d FirstConv2d(Module model) =>
        model.Modules().OfType<Conv2d>().FirstOrDefault()
        ?? throw new ArgumentException($"ConvViz: {model.GetType().Name} has no Conv2d layer; there are no filters to draw.");

    private static Tensor AsBatchOfOne(Tensor image) => image.Rank switch
    {
        2 => image.Reshape(1, 1, image.Shape[0], image.Shape[1]),
        3 => image.Reshape(1, image.Shape[0], image.Shape[1], image.Shape[2]),
        4 when image.Shape[0] == 1 => image,
        _ => throw new ShapeMismatchException($"ConvViz: expected one image [H, W], [C, H, W] or [1, C, H, W], got {image.Shape}."),
    };

    /// <summary>A copy of <paramref name="t"/> cut into <paramref name="tiles"/> equal blocks, each mapped to [0, 1] by its own range.</summary>
    private static Tensor ScaleEachTile(Tensor t, int tiles)
    {
        var scaled = t.Detach().Clone();
        var data = scaled.Data;
        int size = data.Length / tiles;
        for (int i = 0; i < tiles; i++)
        {
            var tile = data.Slice(i * size, size);
            float low = float.PositiveInfinity, high = float.NegativeInfinity;
            foreach (float v in tile)
            {
                if (float.IsNaN(v)) throw new ArgumentException($"ConvViz: tile {i} holds NaN; it has no pixel intensity.");
                low = MathF.Min(low, v);
                high = MathF.Max(high, v);
            }
            float range = high - low;
            for (int j = 0; j < tile.Length; j++) tile[j] = range > 0 ? (tile[j] - low) / range : 0f;
        }
        return scaled;
    }

    private static Tensor Upscale(Tensor tiles, int scale) => scale == 1 ? tiles : F.UpsampleNearest2d(tiles, scaleFactor: scale);

    private static void CheckLayout(int scale, int columns, string op)
    {
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), $"ConvViz.{op}: scale must be >= 1, got {scale}.");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), $"ConvViz.{op}: columns must be >= 1, got {columns}.");
    }
}
