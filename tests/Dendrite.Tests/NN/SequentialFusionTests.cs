using Dendrite.NN;

namespace Dendrite.Tests.NN;

/// <summary>
/// Sequential runs ReLU followed by max pooling as pooling then ReLU. That may change neither a value nor a gradient,
/// down to the bit, whatever the windows hold: negatives only, zeros, ties, NaN, padding.
/// </summary>
public class SequentialFusionTests
{
    /// <summary>Values chosen to make windows of every kind: all negative, all zero, tied maxima, a NaN.</summary>
    private static float[] Awkward(int count, int seed)
    {
        var random = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++)
            v[i] = (i % 11) switch
            {
                0 => 0f,
                1 => -0f,
                2 => 1.5f,                                     // ties with the other 1.5s nearby
                3 when i % 7 == 0 => float.NaN,
                _ => (float)(random.NextDouble() * 4 - 3),      // mostly negative
            };
        return v;
    }

    public static TheoryData<int, int, int> Pools => new()
    {
        // kernel, stride, padding
        { 2, 2, 0 },   // the W2 net's pooling (the vectorised 2×2 path)
        { 2, 1, 0 },   // the course's stride 1
        { 3, 2, 1 },   // overlapping windows with padding
    };

    [Theory]
    [MemberData(nameof(Pools))]
    public void Relu_then_max_pool_2d_gives_the_unfused_values_and_gradients(int kernel, int stride, int padding)
    {
        var shape = new Shape(2, 3, 7, 6);
        var data = Awkward(shape.Numel, 1);
        var upstream = Tensor.Randn(F.MaxPool2d(Tensor.Zeros(shape), kernel, stride, padding).Shape, new Generator(2));
        var model = new Sequential(new ReLU(), new MaxPool2d(kernel, stride, padding));

        var (fusedY, fusedGrad) = Run(x => model.Call(x), data, shape, upstream);
        var (plainY, plainGrad) = Run(x => F.MaxPool2d(F.ReLU(x), kernel, stride, padding), data, shape, upstream);

        Assert.Equal(plainY, fusedY);
        Assert.Equal(plainGrad, fusedGrad);
        Assert.Contains(plainY, float.IsNaN);   // the NaN propagated through both
        Assert.Contains(plainY, v => v == 0f);  // windows ReLU zeroed
    }

    [Fact]
    public void Relu_then_max_pool_1d_gives_the_unfused_values_and_gradients()
    {
        var shape = new Shape(2, 3, 23);
        var data = Awkward(shape.Numel, 3);
        var upstream = Tensor.Randn(new Shape(2, 3, 12), new Generator(4));   // (23 + 2 − 3) / 2 + 1
        var model = new Sequential(new ReLU(), new MaxPool1d(3, 2, 1));

        var (fusedY, fusedGrad) = Run(x => model.Call(x), data, shape, upstream);
        var (plainY, plainGrad) = Run(x => F.MaxPool1d(F.ReLU(x), 3, 2, 1), data, shape, upstream);

        Assert.Equal(plainY, fusedY);
        Assert.Equal(plainGrad, fusedGrad);
    }

    [Fact]
    public void A_hooked_relu_runs_on_its_own_and_its_hook_sees_the_full_activation()
    {
        var relu = new ReLU();
        var model = new Sequential(relu, new MaxPool2d(2));
        Shape? seen = null;
        using var _ = relu.RegisterForwardHook((_, _, output) => seen = output.Shape);
        var x = Tensor.FromArray(Awkward(2 * 4 * 4, 5), 2, 1, 4, 4);

        var y = model.Call(x);

        Assert.Equal(new Shape(2, 1, 4, 4), seen);
        Assert.Equal(F.MaxPool2d(F.ReLU(x), 2).ToArray(), y.ToArray());
    }

    private static (float[] Output, float[] InputGrad) Run(Func<Tensor, Tensor> f, float[] data, Shape shape, Tensor upstream)
    {
        var x = Tensor.FromArray((float[])data.Clone(), shape.AsSpan().ToArray()).RequireGrad();
        var y = f(x);
        y.Backward(upstream);
        return (y.ToArray(), x.Grad!.ToArray());
    }
}
