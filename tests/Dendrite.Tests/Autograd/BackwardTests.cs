namespace Dendrite.Tests.Autograd;

public class BackwardTests
{
    private static Tensor Leaf(params float[] values) => Tensor.FromArray(values).RequireGrad();

    [Fact]
    public void Backward_on_a_scalar_fills_leaf_gradients()
    {
        // L = Σ (x·w)² → dL/dx = 2·x·w², dL/dw = 2·x²·w.
        var x = Leaf(1f, 2f, 3f);
        var w = Leaf(0.5f, -1f, 2f);
        var loss = F.Sum(F.Pow(x * w, 2f));
        Assert.Equal(0.25f + 4f + 36f, loss.Item(), 5);

        loss.Backward();

        Assert.Equal([0.5f, 4f, 24f], x.Grad!.ToArray());
        Assert.Equal([1f, -8f, 36f], w.Grad!.ToArray());
        Assert.Equal(x.Shape, x.Grad.Shape);
    }

    [Fact]
    public void Backward_with_an_explicit_upstream_gradient_scales_each_element()
    {
        // y = 3x + x² elementwise; dL/dx = g·(3 + 2x) for upstream g.
        var x = Leaf(1f, -2f, 0.5f);
        var y = x * 3f + x * x;
        y.Backward(Tensor.FromArray([1f, 10f, -2f]));
        Assert.Equal([5f, -10f, -8f], x.Grad!.ToArray());
    }

    [Fact]
    public void An_upstream_gradient_of_the_wrong_shape_is_rejected_naming_both_shapes()
    {
        var x = Leaf(1f, 2f, 3f);
        var y = x * 2f;
        var e = Assert.Throws<ShapeMismatchException>(() => y.Backward(Tensor.Ones(2)));
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Two_backward_passes_accumulate_so_gradients_double()
    {
        var x = Leaf(1f, 2f);
        F.Sum(x * x).Backward();
        Assert.Equal([2f, 4f], x.Grad!.ToArray());
        F.Sum(x * x).Backward(); // a new graph over the same leaf
        Assert.Equal([4f, 8f], x.Grad!.ToArray());
    }

    [Fact]
    public void A_tensor_used_twice_receives_the_sum_of_both_paths()
    {
        // y = x·x + x → dy/dx = 2x + 1.
        var x = Leaf(3f);
        var y = x * x + x;
        Assert.Equal(12f, y.Item());
        y.Backward();
        Assert.Equal(7f, x.Grad!.Item());
    }

    [Fact]
    public void An_intermediate_used_twice_sums_its_gradients_before_passing_them_on()
    {
        // h = 2x, y = h·h + h = 4x² + 2x → dy/dx = 8x + 2.
        var x = Leaf(1.5f, -1f);
        var h = x * 2f;
        F.Sum(h * h + h).Backward();
        Assert.Equal([14f, -6f], x.Grad!.ToArray());
        Assert.Null(h.Grad); // only leaves keep gradients
    }

    [Fact]
    public void Gradients_flow_through_matmul_and_broadcast_add()
    {
        // y = x·W + b with x [1, 2], W [2, 2], b [2] broadcast; L = Σ y → dW[i, j] = x[i], db = 1, dx[i] = Σ_j W[i, j].
        var x = Tensor.FromArray([1f, 2f], 1, 2).RequireGrad();
        var w = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2).RequireGrad();
        var b = Leaf(0.5f, -0.5f);
        F.Sum(F.MatMul(x, w) + b).Backward();
        Assert.Equal([3f, 7f], x.Grad!.ToArray());
        Assert.Equal([1f, 1f, 2f, 2f], w.Grad!.ToArray());
        Assert.Equal([1f, 1f], b.Grad!.ToArray());
    }

    [Fact]
    public void Backward_on_a_non_scalar_without_gradient_throws_naming_the_shape()
    {
        var y = Leaf(1f, 2f, 3f) * 2f;
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("[3]", e.Message);
        Assert.Contains("explicit gradient", e.Message);
    }

    [Fact]
    public void Backward_on_a_tensor_outside_any_graph_throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Scalar(1f).Backward());
        Assert.Contains("does not require grad", e.Message);
    }
}
