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

    [Fact]
    public void Dense_and_conv_weight_gradients_are_written_straight_into_the_released_buffer()
    {
        var linear = new Linear(3, 2);
        var conv = new Conv2d(1, 2, 2);
        var optimizer = new Sgd([.. linear.Parameters(), .. conv.Parameters()], lr: 0.1f);
        var x = Tensor.Randn(4, 3);
        var image = Tensor.Randn(2, 1, 3, 3);
        void Step() => (F.Sum(linear.Call(x)) + F.Sum(conv.Call(image))).Backward();

        Step();
        var buffers = new[] { linear.Weight.Grad!, linear.Bias!.Grad!, conv.Weight.Grad!, conv.Bias!.Grad! };
        var values = buffers.Select(b => b.ToArray()).ToArray();
        optimizer.ZeroGrad();
        Step();
        var again = new[] { linear.Weight.Grad!, linear.Bias!.Grad!, conv.Weight.Grad!, conv.Bias!.Grad! };
        for (int i = 0; i < buffers.Length; i++)
        {
            Assert.Same(buffers[i], again[i]);
            Assert.Equal(values[i], again[i].ToArray()); // the same inputs give the same gradients, not twice them
        }
        // dL/db for L = Σ linear(x): one per row of x.
        Assert.Equal([4f, 4f], linear.Bias.Grad!.ToArray());
    }

    [Fact]
    public void A_weight_read_twice_adds_both_gradients_when_the_first_lands_in_the_released_buffer()
    {
        var w = new Parameter(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3));
        var optimizer = new Sgd([w], lr: 0.1f);
        var x = Tensor.FromArray([1f, 1f, 1f], 1, 3);
        F.Sum(F.Linear(x, w)).Backward();
        optimizer.ZeroGrad();
        // Two dense layers share w: each contributes dL/dw = [1 1 1] per output row.
        F.Sum(F.Linear(x, w) + F.Linear(x * 2f, w)).Backward();
        Assert.Equal([3f, 3f, 3f, 3f, 3f, 3f], w.Grad!.ToArray());
    }
}
