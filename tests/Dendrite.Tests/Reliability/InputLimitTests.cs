using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.Reliability;

/// <summary>
/// Reproductions from the hostile test of issue 20 that now fail early with a message naming the op or option:
/// sizes that wrapped or ran out of memory, a kernel with no taps, a null layer, hyperparameters that are not numbers.
/// </summary>
public class InputLimitTests
{
    [Fact]
    public void A_shape_whose_element_count_overflows_is_refused_not_wrapped_to_zero()
    {
        var e = Assert.Throws<ArgumentException>(() => new Shape(65536, 65536, 65536, 65536).Numel);
        Assert.Contains("more than 2147483647 elements", e.Message);
        Assert.Equal(0, new Shape(0, 65536, 65536, 65536).Numel);   // an empty dimension still gives 0
        Assert.Equal(int.MaxValue, new Shape(int.MaxValue).Numel);
    }

    [Fact]
    public void Arange_of_more_values_than_a_tensor_holds_says_so_before_allocating()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 1e10f));
        Assert.StartsWith("Arange: 0 to 1E+10 by 1 is 10000000000 values", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, float.NaN));
    }

    [Fact]
    public void A_convolution_with_an_empty_kernel_is_refused_at_construction_and_in_the_op()
    {
        Assert.Contains("Conv2d: kernel size must be positive, got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 8, 0)).Message);
        Assert.Contains("Conv1d: kernel size must be positive, got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1d(1, 8, 0)).Message);
        var x = Tensor.Zeros(1, 1, 5, 5);
        Assert.Contains("Conv2d: the weight [8, 1, 0, 3] is empty",
            Assert.Throws<ShapeMismatchException>(() => F.Conv2d(x, Tensor.Zeros(8, 1, 0, 3))).Message);
    }

    [Fact]
    public void A_null_layer_is_refused_when_the_sequential_is_built()
    {
        Assert.Throws<ArgumentNullException>(() => new Sequential(new ReLU(), null!));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-0.5f)]
    public void Optimisers_refuse_hyperparameters_that_are_not_finite_numbers_in_range(float bad)
    {
        var p = new[] { new Parameter(new Shape(3)) };
        Assert.Contains($"Adam: invalid learning rate {bad}", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(p, lr: bad)).Message);
        Assert.Contains("Adam: invalid beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(p, beta1: bad)).Message);
        Assert.Contains("AdamW: invalid eps", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(p, eps: bad)).Message);
        Assert.Contains("Sgd: invalid momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(p, momentum: bad)).Message);
        Assert.Contains("RmsProp: invalid alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(p, alpha: bad)).Message);
        Assert.Contains("Adadelta: invalid rho", Assert.Throws<ArgumentOutOfRangeException>(() => new Adadelta(p, rho: bad)).Message);
        Assert.Contains("Adagrad: invalid weight decay",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad(p, weightDecay: bad)).Message);
    }

    [Fact]
    public void Upsampling_by_a_factor_that_is_not_a_positive_number_names_it()
    {
        var x = Tensor.Zeros(1, 1, 4, 4);
        foreach (float bad in new[] { float.NaN, 0f, -2f, float.PositiveInfinity })
            Assert.Contains($"scaleFactor must be a positive finite number, got {bad}",
                Assert.Throws<ArgumentOutOfRangeException>(() => F.UpsampleNearest2d(x, scaleFactor: bad)).Message);
    }
}
