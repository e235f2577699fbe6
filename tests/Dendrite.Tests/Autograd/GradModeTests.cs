namespace Dendrite.Tests.Autograd;

public class GradModeTests
{
    [Fact]
    public void NoGrad_records_nothing_and_restores_recording_afterwards()
    {
        var x = Tensor.FromArray([1f, 2f]).RequireGrad();
        Tensor inside;
        using (Tensor.NoGrad())
        {
            Assert.False(Dendrite.Autograd.GradMode.IsEnabled);
            inside = x * 3f;
        }
        Assert.True(Dendrite.Autograd.GradMode.IsEnabled);
        Assert.Null(inside.GradFn);
        Assert.False(inside.RequiresGrad);
        Assert.Equal([3f, 6f], inside.ToArray());

        var outside = x * 3f;
        Assert.NotNull(outside.GradFn);
        Assert.Equal("Mul", outside.GradFn!.Op);
    }

    [Fact]
    public void Nested_scopes_restore_the_state_each_one_found()
    {
        var x = Tensor.FromArray([1f]).RequireGrad();
        using (Tensor.NoGrad())
        {
            using (Tensor.EnableGrad())
            {
                Assert.NotNull((x * 2f).GradFn);
                using (Tensor.NoGrad()) Assert.Null((x * 2f).GradFn);
                Assert.True(Dendrite.Autograd.GradMode.IsEnabled);
            }
            Assert.False(Dendrite.Autograd.GradMode.IsEnabled);
        }
        Assert.True(Dendrite.Autograd.GradMode.IsEnabled);
    }

    [Fact]
    public void Detach_cuts_the_graph_but_shares_values()
    {
        // y = x·stop(x): only the first factor carries gradient, so dy/dx = x (not 2x).
        var x = Tensor.FromArray([2f, 5f]).RequireGrad();
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.Null(d.GradFn);
        Assert.Equal(x.ToArray(), d.ToArray());

        F.Sum(x * d).Backward();
        Assert.Equal([2f, 5f], x.Grad!.ToArray());
        Assert.Null(d.Grad);

        d.Data[0] = 7f; // a view: writes show in the original
        Assert.Equal(7f, x[0]);
    }

    [Fact]
    public void Inputs_without_RequiresGrad_get_no_gradient()
    {
        var x = Tensor.FromArray([1f, 2f]);
        var w = Tensor.FromArray([3f, 4f]).RequireGrad();
        F.Sum(x * w).Backward();
        Assert.Null(x.Grad);
        Assert.Equal([1f, 2f], w.Grad!.ToArray());
    }

    [Fact]
    public void Ops_on_tensors_that_need_no_gradient_record_nothing()
    {
        var y = Tensor.FromArray([1f, 2f]) * Tensor.FromArray([3f, 4f]);
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
    }

    [Fact]
    public void RequiresGrad_cannot_be_turned_off_on_a_recorded_tensor()
    {
        var y = Tensor.FromArray([1f]).RequireGrad() * 2f;
        var e = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("Detach", e.Message);
    }
}
