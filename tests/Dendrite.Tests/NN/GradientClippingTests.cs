using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.NN;

/// <summary>ClipGradNorm / ClipGradValue against torch.nn.utils.clip_grad_norm_ / clip_grad_value_'s formulas.</summary>
public class GradientClippingTests
{
    public static TheoryData<string> Devices => new() { Device.Cpu.Name, Device.Reference.Name };

    /// <summary>Two parameters with gradients [3, 4] and [12]: 2-norm √169 = 13, 1-norm 19, ∞-norm 12.</summary>
    private static Parameter[] TwoParameters(Device device, float[]? first = null, float[]? second = null)
    {
        var a = new Parameter(new Shape(2));
        var b = new Parameter(new Shape(1));
        a.MoveTo(device);
        b.MoveTo(device);
        a.Grad = Tensor.FromArray(first ?? [3f, 4f], 2).To(device);
        b.Grad = Tensor.FromArray(second ?? [12f], 1).To(device);
        return [a, b];
    }

    [Theory, MemberData(nameof(Devices))]
    public void The_2_norm_scales_every_gradient_by_max_norm_over_total_plus_1e6(string deviceName)
    {
        var ps = TwoParameters(TestDevices.Named(deviceName));
        float total = Utils.ClipGradNorm(ps, 6.5).Item();
        Assert.Equal(13f, total, 5);
        double coef = 6.5 / (13 + 1e-6);
        var first = ps[0].Grad!.ToArray();
        Assert.Equal(3 * coef, first[0], 1e-6);
        Assert.Equal(4 * coef, first[1], 1e-6);
        Assert.Equal(12 * coef, ps[1].Grad!.ToArray()[0], 1e-5);
        // the clipped gradients have the norm asked for (to the 1e-6 guard)
        Assert.Equal(6.5, Math.Sqrt(ps.Sum(p => p.Grad!.ToArray().Sum(v => (double)v * v))), 1e-5);
    }

    [Theory, MemberData(nameof(Devices))]
    public void The_1_3_and_infinity_norms_follow_their_definitions(string deviceName)
    {
        var device = TestDevices.Named(deviceName);
        Assert.Equal(19f, Utils.ClipGradNorm(TwoParameters(device), 100, normType: 1).Item(), 5);
        Assert.Equal(12f, Utils.ClipGradNorm(TwoParameters(device), 100, normType: double.PositiveInfinity).Item(), 5);
        Assert.Equal(Math.Cbrt(27 + 64 + 1728), Utils.ClipGradNorm(TwoParameters(device), 100, normType: 3).Item(), 4);

        var ps = TwoParameters(device, [-3f, 4f], [-12f]);
        float total = Utils.ClipGradNorm(ps, 6, normType: double.PositiveInfinity).Item();
        Assert.Equal(12f, total);                                                        // |−12|, not the signed max 4
        Assert.Equal(-12 * 6 / (12 + 1e-6), ps[1].Grad!.ToArray()[0], 1e-5);
    }

    [Theory, MemberData(nameof(Devices))]
    public void Gradients_under_the_limit_are_left_bit_for_bit(string deviceName)
    {
        var ps = TwoParameters(TestDevices.Named(deviceName), [0.1f, -0.3f], [0.7f]);
        Utils.ClipGradNorm(ps, 1.0);
        Assert.Equal([0.1f, -0.3f], ps[0].Grad!.ToArray());
        Assert.Equal([0.7f], ps[1].Grad!.ToArray());
    }

    [Fact]
    public void Parameters_without_gradients_are_skipped_and_none_at_all_gives_zero()
    {
        var ps = TwoParameters(Device.Cpu);
        var idle = new Parameter(new Shape(3));
        Assert.Equal(13f, Utils.ClipGradNorm([idle, .. ps], 100).Item(), 5);
        Assert.Null(idle.Grad);
        Assert.Equal(0f, Utils.ClipGradNorm([idle], 1).Item());
    }

    [Fact]
    public void A_nonfinite_norm_is_an_error_only_when_asked()
    {
        var ps = TwoParameters(Device.Cpu, [float.NaN, 1f]);
        var e = Assert.Throws<InvalidOperationException>(() => Utils.ClipGradNorm(ps, 1, errorIfNonfinite: true));
        Assert.Contains("ClipGradNorm", e.Message);
        Assert.Contains("NaN", e.Message);
        Assert.Equal([float.NaN, 1f], ps[0].Grad!.ToArray());    // refused before scaling
        Assert.True(float.IsNaN(Utils.ClipGradNorm(ps, 1).Item()));
    }

    [Fact]
    public void Bad_limits_are_refused_with_the_option_named()
    {
        var ps = TwoParameters(Device.Cpu);
        Assert.Contains("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm(ps, -1)).Message);
        Assert.Contains("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm(ps, double.NaN)).Message);
        Assert.Contains("normType", Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm(ps, 1, 0)).Message);
        Assert.Contains("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradValue(ps, -0.5)).Message);
    }

    [Theory, MemberData(nameof(Devices))]
    public void ClipGradValue_clamps_each_element_into_plus_minus_the_value(string deviceName)
    {
        var ps = TwoParameters(TestDevices.Named(deviceName), [-3f, 0.5f], [7f]);
        Utils.ClipGradValue(ps, 2);
        Assert.Equal([-2f, 0.5f], ps[0].Grad!.ToArray());
        Assert.Equal([2f], ps[1].Grad!.ToArray());
    }
}
