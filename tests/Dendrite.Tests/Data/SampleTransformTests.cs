using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class SampleTransformTests
{
    private static readonly Generator s_generator = new(5);

    [Fact]
    public void Flip_mirrors_each_row_and_probability_zero_keeps_the_image()
    {
        var image = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3);
        Assert.Equal([3f, 2f, 1f, 6f, 5f, 4f], new RandomHorizontalFlip(1f).Apply(image, s_generator).ToArray());
        Assert.Same(image, new RandomHorizontalFlip(0f).Apply(image, s_generator));
    }

    [Fact]
    public void Center_and_random_crops_take_the_right_windows()
    {
        var image = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => (float)i)], 1, 4, 4);
        Assert.Equal([5f, 6f, 9f, 10f], new CenterCrop(2).Apply(image, s_generator).ToArray());
        // Padding 1 and a window of the padded size: the whole image framed by the fill value.
        var framed = new RandomCrop(6, 6, padding: 1, fill: -1f).Apply(image, s_generator).ToArray();
        Assert.Equal(-1f, framed[0]);
        Assert.Equal(0f, framed[7]);
        Assert.Equal(15f, framed[28]);
        var window = new RandomCrop(3).Apply(image, new Generator(1)).ToArray();
        int top = (int)window[0] / 4, left = (int)window[0] % 4;
        Assert.Equal(window[8], (top + 2) * 4 + left + 2);
        var e = Assert.Throws<ShapeMismatchException>(() => new CenterCrop(5).Apply(image, s_generator));
        Assert.Equal("CenterCrop: a 5x5 window does not fit a 4x4 image. Hint: Resize first.", e.Message);
    }

    [Fact]
    public void Resize_is_bilinear_with_aligned_pixel_centres_as_pytorch()
    {
        // F.interpolate([[1, 2], [3, 4]], size=4, mode="bilinear", align_corners=False) has first row 1, 1.25, 1.75, 2.
        var small = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 2, 2);
        var up = new Resize(4).Apply(small, s_generator).ToArray();
        Assert.Equal([1f, 1.25f, 1.75f, 2f], up[..4]);
        Assert.Equal([3f, 3.25f, 3.75f, 4f], up[12..]);
        // Halving samples at 0.5 and 2.5: the mean of each 2×2 block.
        var big = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => (float)i)], 1, 4, 4);
        Assert.Equal([2.5f, 4.5f, 10.5f, 12.5f], new Resize(2).Apply(big, s_generator).ToArray());
    }

    [Fact]
    public void Color_jitter_scales_brightness_by_one_factor_and_stays_in_range()
    {
        var image = Tensor.FromArray([0.1f, 0.2f, 0.4f, 0.8f, 0.3f, 0.5f], 3, 1, 2);
        var bright = new ColorJitter(brightness: 0.5f).Apply(image, new Generator(9)).ToArray();
        float factor = bright[0] / 0.1f;
        Assert.InRange(factor, 0.5f, 1.5f);
        for (int i = 0; i < 6; i++) Assert.Equal(Math.Min(1f, image.Data[i] * factor), bright[i], 5);
        var all = new ColorJitter(0.8f, 0.8f, 0.8f).Apply(image, new Generator(2)).ToArray();
        Assert.All(all, v => Assert.InRange(v, 0f, 1f));
        var grey = Tensor.FromArray([0.2f, 0.6f], 1, 1, 2);
        Assert.Equal(grey.ToArray(), new ColorJitter(saturation: 0.9f).Apply(grey, s_generator).ToArray());
    }
}
