using Dendrite.Autograd;
using Dendrite.NN;

namespace Dendrite.Tests.Autograd;

public class PostAccumulateGradHookTests
{
    [Fact]
    public void A_leaf_read_twice_is_reported_once_with_both_contributions_summed()
    {
        var w = Tensor.FromArray([1f, 2f]).RequireGrad();
        var seen = new List<float[]>();
        using var _ = w.RegisterPostAccumulateGradHook(t => seen.Add(t.Grad!.ToArray()));
        // d/dw of sum(w·3) + sum(w·w) = 3 + 2w
        ((w * 3f).Sum() + (w * w).Sum()).Backward();
        Assert.Equal([[5f, 7f]], seen);
    }

    [Fact]
    public void The_last_layers_hook_runs_before_the_first_layers_backward()
    {
        Torch.ManualSeed(1);
        var first = new Linear(3, 4);
        var last = new Linear(4, 2);
        var events = new List<string>();
        using var h1 = first.Weight.RegisterPostAccumulateGradHook(_ => events.Add("first.weight ready"));
        using var h2 = last.Weight.RegisterPostAccumulateGradHook(_ => events.Add("last.weight ready"));
        var x = Tensor.FromArray([1f, 2f, 3f], 1, 3).RequireGrad();
        // An identity op between the layers whose backward says when it runs.
        var hidden = first.Call(x);
        var probed = Tape.Record(hidden.Detach(), "Probe", [hidden], dy =>
        {
            events.Add("probe backward");
            return [dy];
        });
        last.Call(probed).Sum().Backward();
        Assert.Equal(["last.weight ready", "probe backward", "first.weight ready"], events);
    }

    [Fact]
    public void Hooks_fire_in_every_pass_even_when_a_branch_brings_no_gradient_and_stop_once_removed()
    {
        var w = Tensor.FromArray([2f]).RequireGrad();
        int calls = 0;
        var handle = w.RegisterPostAccumulateGradHook(_ => calls++);
        // The second branch's backward returns null for w: its edge must not keep the hook waiting.
        var blocked = Tape.Record(w.Detach(), "NoGradient", [w], _ => [null]);
        ((w * 2f).Sum() + blocked.Sum()).Backward();
        Assert.Equal(1, calls);
        (w * w).Sum().Backward();
        Assert.Equal(2, calls);
        Assert.Equal([4f + 2f], w.Grad!.ToArray());   // accumulated: 2, then 2w = 4
        handle.Dispose();
        (w * w).Sum().Backward();
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Only_leaves_that_require_grad_take_hooks()
    {
        var x = Tensor.FromArray([1f]);
        Assert.Throws<InvalidOperationException>(() => x.RegisterPostAccumulateGradHook(_ => { }));
        var y = x.RequireGrad() * 2f;
        var e = Assert.Throws<InvalidOperationException>(() => y.RegisterPostAccumulateGradHook(_ => { }));
        Assert.Contains("only leaves accumulate gradients", e.Message);
    }
}
