using Dendrite.Data;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Data;

public class PngReaderTests
{
    private static byte[] Ramp(int n, int seed) => Enumerable.Range(0, n).Select(i => (byte)((i * 37 + seed * 11) % 256)).ToArray();

    [Fact]
    public void Grayscale_decodes_exactly_through_all_five_row_filters()
    {
        var samples = Ramp(7 * 6, 1);
        var (h, w, pixels) = PngReader.Decode("g.png", TinyPng.Encode(7, 6, 0, samples));

        Assert.Equal((6, 7), (h, w));
        Assert.Equal(samples.Select(b => b / 255f), pixels);
    }

    [Fact]
    public void Colour_becomes_luminance_and_alpha_composites_over_black()
    {
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        var (_, _, fromRgb) = PngReader.Decode("c.png", TinyPng.Encode(2, 2, 2, rgb));
        Assert.Equal([0.299f, 0.587f, 0.114f, 0.299f * 10 / 255 + 0.587f * 20 / 255 + 0.114f * 30 / 255], fromRgb, new ToleranceComparer(1e-6f));

        byte[] rgba = [255, 255, 255, 255, 255, 255, 255, 0];
        var (_, _, fromRgba) = PngReader.Decode("a.png", TinyPng.Encode(2, 1, 6, rgba));
        Assert.Equal([1f, 0f], fromRgba, new ToleranceComparer(1e-6f));

        byte[] grayAlpha = [200, 255, 200, 51];
        var (_, _, fromGrayAlpha) = PngReader.Decode("ga.png", TinyPng.Encode(2, 1, 4, grayAlpha));
        Assert.Equal([200 / 255f, 200 / 255f * 0.2f], fromGrayAlpha, new ToleranceComparer(1e-6f));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => MathF.Abs(a - b) <= tolerance;
        public int GetHashCode(float v) => 0;
    }

    [Fact]
    public void A_damaged_file_names_the_file_and_the_problem()
    {
        var good = TinyPng.Encode(4, 4, 0, Ramp(16, 2));
        Assert.Contains("x.png: not a PNG file", Assert.Throws<DataFormatException>(() => PngReader.Decode("x.png", [1, 2, 3])).Message);
        Assert.Contains("x.png: truncated at offset", Assert.Throws<DataFormatException>(() => PngReader.Decode("x.png", good[..8])).Message);
        var cut = good[..(good.Length - 20)];
        Assert.StartsWith("x.png: ", Assert.Throws<DataFormatException>(() => PngReader.Decode("x.png", cut)).Message);
    }
}
