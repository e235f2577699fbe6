using Dendrite.IO;
using Dendrite.Tests.TestSupport;
using StbImageSharp;

namespace Dendrite.Tests.IO;

// Every file is read back by StbImageSharp, a decoder that shares no code with ours.
public class PngTests
{
    private static ImageResult Decode(string path) =>
        ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.Default);

    [Fact]
    public void Greyscale_image_decodes_to_the_same_size_and_values()
    {
        using var dir = new TempDirectory();
        // [2, 3]: 0 → 0, 1 → 255, 0.5 → 127.5 rounds away from zero to 128, 0.2 → 51, clamped ends -1 → 0 and 2 → 255.
        var image = Tensor.FromArray([0f, 1f, 0.5f, 0.2f, -1f, 2f], 2, 3);

        Png.Write(dir.File("grey.png"), image);

        var decoded = Decode(dir.File("grey.png"));
        Assert.Equal((3, 2, ColorComponents.Grey), (decoded.Width, decoded.Height, decoded.Comp));
        Assert.Equal(new byte[] { 0, 255, 128, 51, 0, 255 }, decoded.Data);
    }

    [Fact]
    public void Channel_first_one_by_h_by_w_is_greyscale_too()
    {
        using var dir = new TempDirectory();
        Png.Write(dir.File("one.png"), Tensor.FromArray([0.4f, 0.6f], 1, 1, 2));

        var decoded = Decode(dir.File("one.png"));
        Assert.Equal((2, 1, ColorComponents.Grey), (decoded.Width, decoded.Height, decoded.Comp));
        Assert.Equal(new byte[] { 102, 153 }, decoded.Data);
    }

    [Fact]
    public void Rgb_planes_are_interleaved_per_pixel()
    {
        using var dir = new TempDirectory();
        // [3, 1, 2]: red plane (1, 0), green plane (0, 1), blue plane (0.2, 0.4): pixel 0 red, pixel 1 green with blue.
        var image = Tensor.FromArray([1f, 0f, 0f, 1f, 0.2f, 0.4f], 3, 1, 2);

        Png.Write(dir.File("rgb.png"), image);

        var decoded = Decode(dir.File("rgb.png"));
        Assert.Equal((2, 1, ColorComponents.RedGreenBlue), (decoded.Width, decoded.Height, decoded.Comp));
        Assert.Equal(new byte[] { 255, 0, 51, 0, 255, 102 }, decoded.Data);
    }

    [Fact]
    public void MinMax_stretches_the_tensor_range_to_0_and_255()
    {
        using var dir = new TempDirectory();
        // Range [-2, 2]: -2 → 0, 2 → 255, 0 → 127.5 → 128, 1 → 191.25 → 191.
        Png.Write(dir.File("mm.png"), Tensor.FromArray([-2f, 0f, 1f, 2f], 2, 2), PixelScale.MinMax);

        Assert.Equal(new byte[] { 0, 128, 191, 255 }, Decode(dir.File("mm.png")).Data);
    }

    [Fact]
    public void MinMax_of_a_constant_image_is_black()
    {
        using var dir = new TempDirectory();
        Png.Write(dir.File("c.png"), Tensor.Full(new Shape(2, 2), 7f), PixelScale.MinMax);

        Assert.Equal(new byte[4], Decode(dir.File("c.png")).Data);
    }

    [Fact]
    public void Large_image_survives_compression_exactly()
    {
        using var dir = new TempDirectory();
        var image = Tensor.Rand(new Shape(3, 61, 97), new Generator(5));
        Png.Write(dir.File("big.png"), image);

        var decoded = Decode(dir.File("big.png"));
        Assert.Equal((97, 61), (decoded.Width, decoded.Height));
        var v = image.Data;
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 61 * 97; p++)
                Assert.Equal((byte)MathF.Round(v[c * 61 * 97 + p] * 255f, MidpointRounding.AwayFromZero), decoded.Data[p * 3 + c]);
    }

    [Fact]
    public void Grid_places_tiles_in_rows_with_padding()
    {
        using var dir = new TempDirectory();
        // Five 2x3 tiles, tile i filled with i/4; three per row, padding 1 of value 1 (white):
        // width 3·(3+1)+1 = 13, height 2·(2+1)+1 = 7.
        var images = Tensor.Empty(5, 1, 2, 3);
        for (int i = 0; i < 5; i++) images.Data.Slice(i * 6, 6).Fill(i / 4f);

        Png.WriteGrid(dir.File("grid.png"), images, columns: 3, padding: 1, padValue: 1f);

        var decoded = Decode(dir.File("grid.png"));
        Assert.Equal((13, 7, ColorComponents.Grey), (decoded.Width, decoded.Height, decoded.Comp));
        byte At(int x, int y) => decoded.Data[y * 13 + x];
        Assert.Equal(255, At(0, 0));              // padding corner
        Assert.Equal(0, At(1, 1));                // tile 0, top-left pixel
        Assert.Equal(0, At(3, 2));                // tile 0, bottom-right pixel
        Assert.Equal(255, At(4, 1));              // padding between tiles 0 and 1
        Assert.Equal(64, At(5, 1));               // tile 1 = 0.25 → 63.75 → 64
        Assert.Equal(128, At(9, 2));              // tile 2 = 0.5
        Assert.Equal(191, At(1, 4));              // tile 3 (second row) = 0.75 → 191.25
        Assert.Equal(255, At(7, 5));              // tile 4 = 1
        Assert.Equal(255, At(9, 4));              // empty slot of the second row stays padding
    }

    [Fact]
    public void Grid_from_a_list_of_rgb_images()
    {
        using var dir = new TempDirectory();
        var red = Tensor.FromArray([1f, 0f, 0f], 3, 1, 1);
        var blue = Tensor.FromArray([0f, 0f, 1f], 3, 1, 1);

        Png.WriteGrid(dir.File("list.png"), [red, blue], padding: 0);

        var decoded = Decode(dir.File("list.png"));
        Assert.Equal((2, 1, ColorComponents.RedGreenBlue), (decoded.Width, decoded.Height, decoded.Comp));
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 255 }, decoded.Data);
    }

    [Fact]
    public void Grid_minmax_scales_over_the_whole_batch()
    {
        using var dir = new TempDirectory();
        var images = Tensor.FromArray([0f, 10f, 20f, 40f], 2, 1, 1, 2);

        Png.WriteGrid(dir.File("g.png"), images, columns: 1, padding: 0, scale: PixelScale.MinMax);

        Assert.Equal(new byte[] { 0, 64, 128, 255 }, Decode(dir.File("g.png")).Data);
    }

    [Fact]
    public void Bad_shapes_and_nan_are_named()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ShapeMismatchException>(() => Png.Write(dir.File("x.png"), Tensor.Zeros(2, 2, 2)));
        Assert.Contains("Png.Write", e.Message);
        Assert.Contains("[2, 2, 2]", e.Message);
        var g = Assert.Throws<ShapeMismatchException>(() => Png.WriteGrid(dir.File("x.png"), Tensor.Zeros(4, 2, 3, 3)));
        Assert.Contains("[4, 2, 3, 3]", g.Message);
        var n = Assert.Throws<ArgumentException>(() => Png.Write(dir.File("x.png"), Tensor.FromArray([0f, float.NaN], 1, 2)));
        Assert.Contains("value 1", n.Message);
        Assert.False(File.Exists(dir.File("x.png")));
    }

    [Fact]
    public void Writing_replaces_an_existing_file_and_leaves_no_temporary()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("img.png"), "old");

        Png.Write(dir.File("img.png"), Tensor.Zeros(1, 1));

        Assert.Equal(new byte[] { 0 }, Decode(dir.File("img.png")).Data);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Crc_matches_the_standard_check_value_and_the_header_chunk()
    {
        // The CRC-32 check value of "123456789" is 0xCBF43926 (the catalogue value for CRC-32/ISO-HDLC, PNG's CRC).
        var bytes = Png.Encode([7], 1, 1, 1);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal(0xCBF43926u, Crc32.Append(0, "123456789"u8));
        // The IHDR chunk's CRC sits after its 4 length + 4 type + 13 data bytes; recompute it over type + data.
        uint stored = (uint)(bytes[29] << 24 | bytes[30] << 16 | bytes[31] << 8 | bytes[32]);
        Assert.Equal(Crc32.Append(0, bytes.AsSpan(12, 17)), stored);
    }
}
