using Dendrite.NN;

namespace Dendrite.Tests.NN;

public class LinearTests
{
    [Fact]
    public void Default_init_fills_the_whole_range_plus_or_minus_one_over_sqrt_in()
    {
        var layer = new Linear(100, 300, generator: new Generator(5));
        float bound = 1f / MathF.Sqrt(100);
        var w = layer.Weight.ToArray();
        var b = layer.Bias!.ToArray();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.All(b, v => Assert.InRange(v, -bound, bound));
        // Uniform on [−0.1, 0.1]: 30,000 draws reach close to both ends and have variance bound²/3.
        Assert.True(w.Max() > 0.99f * bound && w.Min() < -0.99f * bound, $"range [{w.Min()}, {w.Max()}]");
        double variance = w.Select(v => (double)v * v).Average();
        Assert.InRange(variance, 0.95 * bound * bound / 3, 1.05 * bound * bound / 3);
    }

    [Fact]
    public void The_same_generator_seed_gives_the_same_weights()
    {
        var a = new Linear(10, 5, generator: new Generator(3));
        var b = new Linear(10, 5, generator: new Generator(3));
        Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
        Assert.Equal(a.Bias!.ToArray(), b.Bias!.ToArray());
    }

    [Fact]
    public void Forward_computes_x_times_W_transposed_plus_b()
    {
        // W = [[1, 2], [3, 4], [5, 6]], b = [1, 0, −1], x = [1, −1] → y = [−1 + 1, −1 + 0, −1 − 1].
        var layer = new Linear(2, 3, generator: new Generator(1));
        Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f]).Data.CopyTo(layer.Weight.Data);
        Tensor.FromArray([1f, 0f, -1f]).Data.CopyTo(layer.Bias!.Data);
        Assert.Equal([0f, -1f, -2f], layer.Forward(Tensor.FromArray([1f, -1f], 1, 2)).ToArray());
    }

    [Fact]
    public void A_wrong_input_shape_names_the_layer_sizes_and_input_shape()
    {
        var layer = new Linear(784, 10, generator: new Generator(1));
        var e = Assert.Throws<ShapeMismatchException>(() => layer.Forward(Tensor.Zeros(2, 100)));
        Assert.Contains("Linear", e.Message);
        Assert.Contains("784", e.Message);
        Assert.Contains("[2, 100]", e.Message);
        Assert.DoesNotContain("Flatten", e.Message); // no hint when flattening would not help
    }

    [Fact]
    public void An_image_batch_gets_the_Flatten_hint()
    {
        var layer = new Linear(784, 10, generator: new Generator(1));
        var e = Assert.Throws<ShapeMismatchException>(() => layer.Forward(Tensor.Zeros(4, 1, 28, 28)));
        Assert.Contains("Linear(784 → 10)", e.Message);
        Assert.Contains("[4, 1, 28, 28]", e.Message);
        Assert.Contains("Flatten()", e.Message);
    }

    [Fact]
    public void Non_positive_sizes_are_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 3));
        Assert.Contains("inFeatures must be positive, got 0", e.Message);
    }
}
