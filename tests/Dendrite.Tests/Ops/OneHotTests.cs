namespace Dendrite.Tests.Ops;

public class OneHotTests
{
    [Fact]
    public void Each_index_becomes_a_row_with_a_single_one()
    {
        var y = F.OneHot(Tensor.FromArray([2f, 0f, 1f]), 4);
        Assert.Equal(new Shape(3, 4), y.Shape);
        Assert.Equal(
            [0f, 0f, 1f, 0f,
             1f, 0f, 0f, 0f,
             0f, 1f, 0f, 0f], y.ToArray());
    }

    [Fact]
    public void Extra_dimensions_are_kept_in_front_of_the_class_dimension()
    {
        var y = F.OneHot(Tensor.FromArray([1f, 0f, 0f, 1f], 2, 2), 2);
        Assert.Equal(new Shape(2, 2, 2), y.Shape);
        Assert.Equal([0f, 1f, 1f, 0f, 1f, 0f, 0f, 1f], y.ToArray());
    }

    [Theory]
    [InlineData(3f, "value 3 at position 1")]
    [InlineData(-1f, "value -1 at position 1")]
    [InlineData(1.5f, "value 1.5 at position 1")]
    public void A_value_that_is_not_a_class_index_is_named(float bad, string expected)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.OneHot(Tensor.FromArray([0f, bad]), 3));
        Assert.Contains("OneHot", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains("[0, 3)", e.Message);
    }

    [Fact]
    public void NumClasses_must_be_positive()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.OneHot(Tensor.FromArray([0f]), 0));
        Assert.Contains("got 0", e.Message);
    }
}
