using Dendrite.Cli;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;
using Dendrite.Visualization;
using StbImageSharp;

namespace Dendrite.Tests.Visualization;

// Files are read back by StbImageSharp, a decoder that shares no code with ours.
public class ConvVizTests
{
    private static ImageResult Decode(string path) => ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.Default);

    private static byte Pixel(ImageResult image, int x, int y) => image.Data[y * image.Width + x];

    [Fact]
    public void Filters_are_scaled_each_to_its_own_range_and_upscaled()
    {
        using var dir = new TempDirectory();
        // Filter 0 spans [0, 4]: 0 → 0, 1 → 63.75 → 64, 2 → 127.5 → 128, 4 → 255. Filter 1 is constant: black.
        var weight = Tensor.FromArray([0f, 1f, 2f, 4f, -3f, -3f, -3f, -3f], 2, 1, 2, 2);

        ConvViz.WriteFilters(dir.File("f.png"), weight, scale: 3);

        var png = Decode(dir.File("f.png"));
        // Two 6×6 tiles in one row, 2-pixel grey lines around: 2·(6 + 2) + 2 = 18 wide, 6 + 4 = 10 high.
        Assert.Equal((18, 10, ColorComponents.Grey), (png.Width, png.Height, png.Comp));
        Assert.Equal(128, Pixel(png, 0, 0));                                  // padding: mid-grey
        Assert.Equal(new byte[] { 0, 0, 0, 64, 64, 64 }, Row(png, y: 2, x: 2, 6));
        Assert.Equal(new byte[] { 128, 128, 128, 255, 255, 255 }, Row(png, y: 7, x: 2, 6));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0 }, Row(png, y: 7, x: 10, 6));   // the constant filter
    }

    [Fact]
    public void Filters_with_several_input_channels_get_a_row_per_output_channel()
    {
        using var dir = new TempDirectory();
        var weight = Tensor.FromArray(Enumerable.Range(0, 3 * 2 * 1 * 1).Select(i => (float)i).ToArray(), 3, 2, 1, 1);

        ConvViz.WriteFilters(dir.File("f.png"), weight, scale: 1, columns: 8);

        var png = Decode(dir.File("f.png"));
        Assert.Equal((2 * 3 + 2, 3 * 3 + 2), (png.Width, png.Height));   // 2 columns (Cin) of 1-pixel tiles, 3 rows (Cout)
        Assert.Equal(0, Pixel(png, 2, 2));                                // each 1×1 tile is constant, so black
    }

    [Fact]
    public void Feature_maps_are_caught_by_hooks_after_every_conv_layer()
    {
        using var dir = new TempDirectory();
        // Conv 1 (1×1 kernels, weights 1 and −1) outputs the image and its negative; conv 2 adds them: zero everywhere.
        var first = new Conv2d(1, 2, 1);
        Tensor.FromArray([1f, -1f], 2, 1, 1, 1).Data.CopyTo(first.Weight.Data);
        first.Bias!.Data.Clear();
        var second = new Conv2d(2, 1, 1);
        second.Weight.Data.Fill(1f);
        second.Bias!.Data.Clear();
        var model = new Sequential(first, new ReLU(), second);
        var image = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => i / 15f).ToArray(), 1, 4, 4);
        // ReLU zeroes the negative map, so the second layer sees the image and zeros: its output is the image again.

        var files = ConvViz.WriteFeatureMaps(dir.Path, model, image, scale: 1);

        Assert.Equal([dir.File("feature-maps-1.png"), dir.File("feature-maps-2.png")], files);
        Assert.True(model.Training);                                     // mode restored
        var one = Decode(files[0]);
        Assert.Equal((2 * 6 + 2, 8), (one.Width, one.Height));           // two 4×4 tiles with 2-pixel white lines
        Assert.Equal(255, Pixel(one, 0, 0));
        // Map 0 is the image, p/15 → 17p; map 1 is its negative, stretched to its own range: 255 − 17p.
        Assert.Equal(new byte[] { 0, 17, 34, 51 }, Row(one, y: 2, x: 2, 4));
        Assert.Equal(new byte[] { 255, 238, 221, 204 }, Row(one, y: 2, x: 8, 4));
        var two = Decode(files[1]);
        Assert.Equal((8, 8), (two.Width, two.Height));
        Assert.Equal(new byte[] { 204, 221, 238, 255 }, Row(two, y: 5, x: 2, 4));   // image row 3: 12..15 → 204..255
    }

    [Fact]
    public void WriteAll_draws_the_W2_net_on_an_MNIST_digit()
    {
        using var dir = new TempDirectory();
        Torch.ManualSeed(1);
        var model = Presets.MnistCnn();
        var (digit, _) = MnistData.Test[0];

        var files = ConvViz.WriteAll(dir.Path, model, digit);

        Assert.Equal(new[] { "input.png", "filters.png", "feature-maps-1.png", "feature-maps-2.png" }, files.Select(Path.GetFileName));
        var input = Decode(files[0]);
        Assert.Equal((28, 28), (input.Width, input.Height));
        Assert.Equal(digit.ToArray().Select(v => (byte)MathF.Round(v * 255f)), input.Data);   // MNIST's own bytes back
        var filters = Decode(files[1]);
        Assert.Equal((8 * 26 + 2, 4 * 26 + 2), (filters.Width, filters.Height));   // 32 filters, 3×3 × 8 = 24 px tiles
        var maps1 = Decode(files[2]);
        Assert.Equal((8 * 54 + 2, 4 * 54 + 2), (maps1.Width, maps1.Height));       // 32 maps 26×26 × 2
        var maps2 = Decode(files[3]);
        Assert.Equal((8 * 50 + 2, 8 * 50 + 2), (maps2.Width, maps2.Height));       // 64 maps 24×24 × 2
        // Every filter is stretched to its own range, so each tile holds a black and a white pixel.
        for (int tile = 0; tile < 32; tile++)
        {
            var pixels = TilePixels(filters, tile % 8, tile / 8, 24);
            Assert.Equal(0, pixels.Min());
            Assert.Equal(255, pixels.Max());
        }
    }

    [Fact]
    public void A_model_without_convolutions_is_refused_by_name() =>
        Assert.Contains("Sequential has no Conv2d",
            Assert.Throws<ArgumentException>(() => ConvViz.WriteAll(Path.GetTempPath(), Presets.MnistMlp(), Tensor.Zeros(28, 28))).Message);

    [Fact]
    public void A_batch_of_feature_maps_is_refused_with_its_shape() =>
        Assert.Contains("[2, 3, 4, 4]",
            Assert.Throws<ShapeMismatchException>(() => ConvViz.WriteFeatureMaps("x.png", Tensor.Zeros(2, 3, 4, 4))).Message);

    private static byte[] Row(ImageResult image, int y, int x, int count) => image.Data.AsSpan(y * image.Width + x, count).ToArray();

    private static byte[] TilePixels(ImageResult image, int column, int row, int size)
    {
        var pixels = new List<byte>();
        for (int y = 0; y < size; y++) pixels.AddRange(Row(image, 2 + row * (size + 2) + y, 2 + column * (size + 2), size));
        return [.. pixels];
    }
}
