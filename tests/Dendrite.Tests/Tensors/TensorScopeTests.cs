using Dendrite.NN;

namespace Dendrite.Tests.Tensors;

public class TensorScopeTests
{
    [Fact]
    public void Storage_is_reused_by_the_next_scope()
    {
        float[] first;
        using (Tensor.Scope())
        {
            var t = Tensor.Zeros(1237);
            first = t.HostArray;
        }
        using (Tensor.Scope())
        {
            var t = Tensor.Empty(1237);
            Assert.Same(first, t.HostArray);
        }
    }

    [Fact]
    public void Zeros_from_a_recycled_buffer_are_zero()
    {
        using (Tensor.Scope()) Tensor.Full(new Shape(999), 5f);
        using (Tensor.Scope()) Assert.All(Tensor.Zeros(999).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Leaf_gradients_made_inside_a_scope_survive_it()
    {
        var w = new Parameter(Tensor.FromArray([1f, 2f, 3f]));
        using (Tensor.Scope())
        {
            var loss = F.Sum(F.Mul(w, w));
            loss.Backward();
        }
        using (Tensor.Scope()) Tensor.Full(new Shape(3), -7f); // would overwrite the gradient if it were pooled
        Assert.Equal([2f, 4f, 6f], w.Grad!.ToArray());
    }

    [Fact]
    public void Tensors_made_outside_any_scope_are_never_recycled()
    {
        var kept = Tensor.Full(new Shape(64), 1f);
        using (Tensor.Scope()) Tensor.Full(new Shape(64), 9f);
        using (Tensor.Scope()) Tensor.Full(new Shape(64), 9f);
        Assert.All(kept.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Scopes_nest_and_must_end_in_order()
    {
        var outer = Tensor.Scope();
        var inner = Tensor.Scope();
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
    }
}
