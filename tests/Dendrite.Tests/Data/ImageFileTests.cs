using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Data;

public class ImageFileTests
{
    private static string TestImage(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "Images", name);

    /// <summary>Pixels of a binary PPM (P6, maxval 255) as [3, H, W] in [0, 1].</summary>
    private static float[] ReadPpm(string path, out int width, out int height)
    {
        var bytes = File.ReadAllBytes(path);
        var fields = new List<string>();
        int at = 0;
        while (fields.Count < 4)
        {
            while (char.IsWhiteSpace((char)bytes[at])) at++;
            int start = at;
            while (!char.IsWhiteSpace((char)bytes[at])) at++;
            fields.Add(System.Text.Encoding.ASCII.GetString(bytes, start, at - start));
        }
        at++;
        Assert.Equal("P6", fields[0]);
        (width, height) = (int.Parse(fields[1]), int.Parse(fields[2]));
        int plane = width * height;
        var chw = new float[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++) chw[c * plane + i] = bytes[at + 3 * i + c] / 255f;
        return chw;
    }

    [Fact]
    public void Rgb_jpeg_decodes_like_libjpeg_and_to_the_flat_colours_written()
    {
        var image = ImageFile.Load(TestImage("quadrants.jpg"));
        var reference = ReadPpm(TestImage("quadrants-djpeg.ppm"), out int w, out int h);
        Assert.Equal(new Shape(3, h, w), image.Shape);
        var pixels = image.ToArray();
        for (int i = 0; i < pixels.Length; i++)
            Assert.True(MathF.Abs(pixels[i] - reference[i]) <= 2 / 255f, $"value {i}: {pixels[i] * 255} vs libjpeg's {reference[i] * 255}");
        byte[][] quadrants = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 120, 40]];
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                for (int c = 0; c < 3; c++)
                {
                    float expected = quadrants[y / 8 * 2 + x / 8][c] / 255f;
                    Assert.True(MathF.Abs(pixels[(c * 16 + y) * 16 + x] - expected) <= 3 / 255f, $"pixel ({x}, {y}) channel {c}");
                }
    }

    [Fact]
    public void Png_written_by_our_encoder_loads_back_exactly_in_grey_and_rgb()
    {
        using var dir = new TempDirectory();
        var rgb = Tensor.FromArray([.. Enumerable.Range(0, 3 * 2 * 5).Select(i => (i * 37 % 256) / 255f)], 3, 2, 5);
        Png.Write(dir.File("rgb.png"), rgb);
        Assert.Equal(rgb.ToArray(), ImageFile.Load(dir.File("rgb.png")).ToArray());
        var grey = Tensor.FromArray([0f, 1f, 128 / 255f, 3 / 255f], 1, 2, 2);
        Png.Write(dir.File("grey.png"), grey);
        Assert.Equal(grey.ToArray(), ImageFile.Load(dir.File("grey.png"), channels: 1).ToArray());
        File.WriteAllText(dir.File("fake.png"), "not an image");
        var e = Assert.Throws<DataFormatException>(() => ImageFile.Load(dir.File("fake.png")));
        Assert.StartsWith($"{dir.File("fake.png")}: not an image StbImageSharp can decode", e.Message);
    }
}
