namespace Dendrite.Tests.Autograd;

public class GraphReleaseTests
{
    [Fact]
    public void The_graph_is_released_after_backward_and_a_second_backward_throws_clearly()
    {
        var x = Tensor.FromArray([1f, 2f]).RequireGrad();
        var loss = F.Sum(F.Exp(x) * x);
        loss.Backward();
        Assert.True(loss.GradFn!.Released);

        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("second time", e.Message);
        Assert.Contains("retainGraph: true", e.Message);
        Assert.Contains("Sum", e.Message); // names the released node
    }

    [Fact]
    public void Building_on_a_released_intermediate_and_backpropagating_throws()
    {
        var x = Tensor.FromArray([1f, 2f]).RequireGrad();
        var h = x * 2f;
        F.Sum(h).Backward();
        var again = F.Sum(h * 3f); // new node on top, but h's node is gone
        var e = Assert.Throws<InvalidOperationException>(() => again.Backward());
        Assert.Contains("Mul", e.Message);
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void RetainGraph_allows_a_second_backward_that_accumulates()
    {
        // L = Σ x³ → dL/dx = 3x².
        var x = Tensor.FromArray([1f, 2f]).RequireGrad();
        var loss = F.Sum(x * x * x);
        loss.Backward(retainGraph: true);
        Assert.False(loss.GradFn!.Released);
        Assert.Equal([3f, 12f], x.Grad!.ToArray());

        loss.Backward();
        Assert.Equal([6f, 24f], x.Grad!.ToArray());
        Assert.True(loss.GradFn.Released);
    }
}
