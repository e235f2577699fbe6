namespace Dendrite.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void FromArray_keeps_values_and_shape()
    {
        var t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.Equal(new Shape(2, 3), t.Shape);
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal(4f, t[-1, 0]);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], t.ToArray());
    }

    [Fact]
    public void FromArray_rejects_wrong_count()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.FromArray([1f, 2f, 3f], 2, 2));
        Assert.Contains("[2, 2]", e.Message);
    }

    [Fact]
    public void Creation_functions_fill_as_named()
    {
        Assert.All(Tensor.Zeros(2, 2).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones(3).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Tensor.Full(new Shape(2), 7f).ToArray(), v => Assert.Equal(7f, v));
        Assert.Equal([0f, 2f, 4f], Tensor.Arange(0, 5, 2).ToArray());
        Assert.Equal([0f, 1f, 2f], Tensor.Arange(3).ToArray());
    }

    [Fact]
    public void Rand_and_Randn_repeat_with_the_same_seed()
    {
        var a = Tensor.Randn(new Shape(100), new Generator(42));
        var b = Tensor.Randn(new Shape(100), new Generator(42));
        Assert.Equal(a.ToArray(), b.ToArray());
        var u = Tensor.Rand(new Shape(1000), new Generator(1)).ToArray();
        Assert.All(u, v => Assert.InRange(v, 0f, 0.99999999f));
        var n = Tensor.Randn(new Shape(20000), new Generator(3)).ToArray();
        double mean = n.Average(), var = n.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(var, 0.95, 1.05);
    }

    [Fact]
    public void Reshape_and_Slice_are_views_sharing_storage()
    {
        var t = Tensor.Arange(12).Reshape(3, 4);
        var flat = t.Reshape(-1);
        Assert.Equal(new Shape(12), flat.Shape);
        var rows = t.Slice(1, 2);
        Assert.Equal(new Shape(2, 4), rows.Shape);
        Assert.Equal(4f, rows[0, 0]);
        rows[0, 0] = 100f;
        Assert.Equal(100f, t[1, 0]);
        Assert.Equal(100f, flat[4]);
        Assert.Equal(new Shape(3, 4), Tensor.Zeros(3, 2, 2).Flatten(1).Shape);
    }

    [Fact]
    public void Reshape_rejects_wrong_size_naming_shapes()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(2, 3).Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }

    [Fact]
    public void ToString_prints_like_PyTorch_with_shape()
    {
        Assert.Equal("tensor([[1., 2.],\n        [3., 4.]], shape=[2, 2])", Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2).ToString());
        Assert.Equal("tensor([0.5000, 0.2500], shape=[2])", Tensor.FromArray([0.5f, 0.25f]).ToString());
        Assert.Equal("tensor(3., shape=[])", Tensor.Scalar(3f).ToString());
        string big = Tensor.Arange(2000).ToString();
        Assert.StartsWith("tensor([   0.,    1.,    2., ..., 1997., 1998., 1999.]", big);
    }

    [Fact]
    public void Item_requires_one_element()
    {
        Assert.Equal(5f, Tensor.Scalar(5f).Item());
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2).Item());
    }
}
