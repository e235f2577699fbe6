using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Data;

/// <summary>The vendored data/mnist: the standard 60,000/10,000 split.</summary>
public class MnistTests
{
    [Fact]
    public void Splits_have_the_standard_sizes_and_shapes()
    {
        Assert.Equal(60000, MnistData.Train.Count);
        Assert.Equal(10000, MnistData.Test.Count);
        Assert.Equal(new Shape(60000, 1, 28, 28), MnistData.Train.Inputs.Shape);
        Assert.Equal(new Shape(10000, 1, 28, 28), MnistData.Test.Inputs.Shape);
        Assert.Equal(new Shape(60000), MnistData.Train.Targets.Shape);
        Assert.Equal(new Shape(10000), MnistData.Test.Targets.Shape);
    }

    [Fact]
    public void Pixels_lie_in_zero_one_and_use_the_whole_range()
    {
        var pixels = MnistData.Test.Inputs.Data;
        float min = float.MaxValue, max = float.MinValue;
        foreach (float p in pixels) (min, max) = (MathF.Min(min, p), MathF.Max(max, p));
        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
    }

    [Fact]
    public void Labels_are_the_known_ones()
    {
        // The first training digits are 5 0 4 1 9 2; the first test digits 7 2 1 0 4.
        Assert.Equal([5f, 0f, 4f, 1f, 9f, 2f], MnistData.Train.Targets.Data[..6].ToArray());
        Assert.Equal([7f, 2f, 1f, 0f, 4f], MnistData.Test.Targets.Data[..5].ToArray());
        var counts = new int[10];
        foreach (float y in MnistData.Train.Targets.Data) counts[(int)y]++;
        Assert.Equal(6742, counts[1]); // the most frequent digit in the training set
        Assert.Equal(60000, counts.Sum());
    }

    [Fact]
    public void The_first_training_image_has_its_known_first_nonzero_pixel()
    {
        // Image 0 (a 5): row 5 starts with 12 black pixels then bytes 3, 18, 18, 18, 126.
        var image = MnistData.Train[0].Input;
        Assert.Equal(new Shape(1, 28, 28), image.Shape);
        Assert.Equal(0f, image[0, 5, 11]);
        Assert.Equal(3f / 255f, image[0, 5, 12]);
        Assert.Equal(126f / 255f, image[0, 5, 16]);
    }
}
