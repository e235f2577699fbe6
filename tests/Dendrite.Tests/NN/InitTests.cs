using Dendrite.NN;

namespace Dendrite.Tests.NN;

public class InitTests
{
    // A [400, 600] weight: fan_in 600, fan_out 400; 240,000 draws put the sample std within ~0.3% of the truth.
    private static Tensor Weight() => Tensor.Zeros(400, 600);

    private static (double Mean, double Std) Moments(Tensor t)
    {
        var v = t.ToArray();
        double mean = v.Average(x => (double)x);
        double variance = v.Average(x => (x - mean) * (x - mean));
        return (mean, Math.Sqrt(variance));
    }

    public static TheoryData<string, Action<Tensor, Generator>, double> Cases => new()
    {
        // He: std = gain/√fan_in with gain √2 for ReLU; Glorot: std = gain·√(2/(fan_in + fan_out)).
        { "KaimingNormal relu", (w, g) => Init.KaimingNormal(w, nonlinearity: "relu", generator: g), Math.Sqrt(2.0 / 600) },
        { "KaimingUniform relu", (w, g) => Init.KaimingUniform(w, nonlinearity: "relu", generator: g), Math.Sqrt(2.0 / 600) },
        { "KaimingUniform a=√5", (w, g) => Init.KaimingUniform(w, a: MathF.Sqrt(5), generator: g), Math.Sqrt(1.0 / 3 / 600) },
        { "XavierNormal", (w, g) => Init.XavierNormal(w, generator: g), Math.Sqrt(2.0 / 1000) },
        { "XavierUniform", (w, g) => Init.XavierUniform(w, generator: g), Math.Sqrt(2.0 / 1000) },
        { "XavierUniform tanh", (w, g) => Init.XavierUniform(w, Init.Gain("tanh"), g), 5.0 / 3 * Math.Sqrt(2.0 / 1000) },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Empirical_std_matches_the_formula(string name, Action<Tensor, Generator> init, double expectedStd)
    {
        var w = Weight();
        init(w, new Generator(11));
        var (mean, std) = Moments(w);
        Assert.True(Math.Abs(std / expectedStd - 1) < 0.01, $"{name}: std {std}, expected {expectedStd}");
        Assert.True(Math.Abs(mean) < 0.01 * expectedStd * 10, $"{name}: mean {mean}");
    }

    [Fact]
    public void Uniform_initialisers_stay_within_their_bound()
    {
        var w = Weight();
        Init.XavierUniform(w, generator: new Generator(2));
        float bound = MathF.Sqrt(6f / 1000);
        Assert.All(w.ToArray(), v => Assert.InRange(v, -bound, bound));
    }

    [Fact]
    public void Fans_follow_PyTorch_for_conv_shaped_weights()
    {
        Assert.Equal((3 * 5 * 5, 8 * 5 * 5), Init.Fans(Tensor.Zeros(8, 3, 5, 5)));
        var e = Assert.Throws<ArgumentException>(() => Init.Fans(Tensor.Zeros(5)));
        Assert.Contains("[5]", e.Message);
    }
}
