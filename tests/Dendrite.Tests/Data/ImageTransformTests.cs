using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class ImageTransformTests
{
    [Fact]
    public void RandomAffine_with_no_range_is_the_identity()
    {
        var images = Tensor.Rand(new Shape(3, 1, 8, 9), new Generator(1));
        var same = new RandomAffine().Apply(images, new Generator(2));
        Assert.Equal(images.ToArray(), same.ToArray());
    }

    [Fact]
    public void RandomAffine_moves_a_digit_by_at_most_the_translation_and_is_reproducible()
    {
        // One bright pixel in the middle of a 21×21 image; shifts up to 0.1 × 21 = 2.1 pixels per axis.
        var image = Tensor.Zeros(1, 1, 21, 21);
        image.Data[10 * 21 + 10] = 1f;
        var batch = F.Cat([image, image, image, image, image, image], 0);
        var transform = new RandomAffine(translate: 0.1f);
        var a = transform.Apply(batch, new Generator(5));
        var b = transform.Apply(batch, new Generator(5));
        Assert.Equal(a.ToArray(), b.ToArray());
        for (int n = 0; n < 6; n++)
        {
            var plane = a.Data.Slice(n * 441, 441).ToArray();
            Assert.Equal(1f, plane.Sum(), 4); // bilinear resampling of a shifted point keeps its mass
            for (int i = 0; i < 441; i++)
                if (plane[i] > 0) Assert.True(Math.Abs(i / 21 - 10) <= 3 && Math.Abs(i % 21 - 10) <= 3, $"pixel {i} lit in image {n}");
        }
        Assert.NotEqual(a.Data.Slice(0, 441).ToArray(), a.Data.Slice(441, 441).ToArray()); // each image its own shift
    }

    [Fact]
    public void RandomAffine_rotation_keeps_the_centre_and_turns_a_bar()
    {
        // A horizontal bar through the centre, rotated by up to 90°: the centre pixel stays lit.
        var image = Tensor.Zeros(1, 1, 11, 11);
        for (int x = 0; x < 11; x++) image.Data[5 * 11 + x] = 1f;
        var turned = new RandomAffine(degrees: 90f).Apply(image, new Generator(3));
        Assert.Equal(1f, turned.Data[5 * 11 + 5], 5);
        Assert.NotEqual(image.ToArray(), turned.ToArray());
    }

    [Fact]
    public void Normalize_subtracts_the_mean_and_divides_by_the_std_per_channel()
    {
        var images = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 2, 1, 2);
        var y = new Normalize([1f, 2f], [2f, 0.5f]).Apply(images, new Generator(0));
        Assert.Equal([0f, 0.5f, 2f, 4f], y.ToArray());
        Assert.Throws<ShapeMismatchException>(() => new Normalize([1f, 2f, 3f], [1f, 1f, 1f]).Apply(images, new Generator(0)));
    }

    [Fact]
    public void TransformedDataset_augments_batches_from_the_data_loader_and_keeps_targets()
    {
        var inner = new TensorDataset(Tensor.Ones(4, 1, 2, 2), Tensor.FromArray([0f, 1f, 2f, 3f], 4));
        var shifted = new TransformedDataset(inner, new Normalize(1f, 1f), seed: 9);
        var (x, y) = new DataLoader(shifted, batchSize: 4).First();
        Assert.All(x.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal([0f, 1f, 2f, 3f], y.ToArray());
        Assert.Equal(new Shape(1, 2, 2), shifted[2].Input.Shape);
    }
}
