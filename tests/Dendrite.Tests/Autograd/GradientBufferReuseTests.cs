using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.Autograd;

public class GradientBufferReuseTests
{
    [Fact]
    public void ZeroGrad_sets_grads_to_null_and_the_next_backward_refills_the_same_buffer_with_fresh_values()
    {
        var w = new Parameter(Tensor.FromArray([1f, 2f, 3f]));
        var optimizer = new Sgd([w], lr: 0.1f);
        F.Sum(F.Mul(w, w)).Backward();                  // dL/dw = 2w
        var first = w.Grad!;
        Assert.Equal([2f, 4f, 6f], first.ToArray());

        optimizer.ZeroGrad();
        Assert.Null(w.Grad);
        F.Sum(F.Mul(w, Tensor.FromArray([5f, 5f, 5f]))).Backward(); // dL/dw = 5, not 5 + the old 2w
        Assert.Same(first, w.Grad);
        Assert.Equal([5f, 5f, 5f], w.Grad!.ToArray());
    }

    [Fact]
    public void Without_ZeroGrad_gradients_still_accumulate()
    {
        var w = new Parameter(Tensor.FromArray([1f, 2f]));
        F.Sum(w).Backward();
        F.Sum(w).Backward();
        Assert.Equal([2f, 2f], w.Grad!.ToArray());
    }
}
