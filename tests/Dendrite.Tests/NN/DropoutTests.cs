using Dendrite.Autograd;
using Dendrite.NN;

namespace Dendrite.Tests.NN;

public class DropoutTests
{
    [Fact]
    public void Dropout_zeroes_about_p_and_scales_survivors_by_one_over_one_minus_p()
    {
        var x = Tensor.Ones(100_000);
        var y = F.Dropout(x, 0.25f, training: true, new Generator(3));

        int zeros = y.Data.ToArray().Count(v => v == 0f);
        Assert.InRange(zeros / 100_000.0, 0.245, 0.255);
        Assert.All(y.Data.ToArray().Where(v => v != 0f), v => Assert.Equal(1f / 0.75f, v));
    }

    [Fact]
    public void Dropout_backward_passes_the_gradient_through_the_same_mask()
    {
        var x = Tensor.Arange(1, 21).RequireGrad();
        var y = F.Dropout(x, 0.5f, training: true, new Generator(5));
        F.Sum(y * Tensor.Arange(0, 20)).Backward();

        for (int i = 0; i < 20; i++)
        {
            float scale = y.Data[i] / x.Data[i]; // 0 or 2
            Assert.True(scale is 0f or 2f);
            Assert.Equal(scale * i, x.Grad!.Data[i]);
        }
    }

    [Fact]
    public void Dropout_passes_a_fixed_mask_gradient_check()
    {
        // GradCheck calls the function many times: reseeding keeps the mask the same in every call.
        GradCheck.Assert(x => F.Dropout(x[0], 0.3f, training: true, new Generator(11)), [Tensor.Randn(4, 5).RequireGrad()]);
        GradCheck.Assert(x => F.Dropout2d(x[0], 0.3f, training: true, new Generator(11)), [Tensor.Randn(2, 3, 2, 2).RequireGrad()]);
    }

    [Fact]
    public void Dropout_module_is_the_identity_in_eval_mode_and_with_p_zero()
    {
        var x = Tensor.Randn(3, 4);
        var layer = new Dropout(0.9f);
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
        Assert.Same(x, F.Dropout(x, 0f));
        Assert.All(F.Dropout(x, 1f).Data.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Dropout_is_reproducible_from_the_default_generator_seed()
    {
        var x = Tensor.Ones(50);
        Torch.ManualSeed(7);
        var a = new Dropout(0.5f).Forward(x).ToArray();
        Torch.ManualSeed(7);
        var b = new Dropout(0.5f).Forward(x).ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void Dropout2d_zeroes_whole_channels()
    {
        var x = Tensor.Ones(4, 8, 3, 3);
        var y = F.Dropout2d(x, 0.5f, training: true, new Generator(2)).ToArray();

        int dropped = 0;
        for (int map = 0; map < 32; map++)
        {
            var values = y.AsSpan(map * 9, 9).ToArray();
            Assert.True(values.All(v => v == 0f) || values.All(v => v == 2f), $"map {map} mixes dropped and kept pixels");
            if (values[0] == 0f) dropped++;
        }
        Assert.InRange(dropped, 6, 26);
    }

    [Fact]
    public void Dropout_rejects_a_probability_outside_zero_to_one()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5f));
        Assert.Contains("Dropout: p must be in [0, 1], got 1.5", e.Message);
        Assert.Throws<ShapeMismatchException>(() => F.Dropout2d(Tensor.Ones(3, 4), 0.5f));
    }
}
