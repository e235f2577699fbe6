using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class StandardizerTests
{
    [Fact]
    public void Fits_population_statistics_and_keeps_constant_features_finite()
    {
        // Column 0: 1, 2, 3 → mean 2, population std √(2/3). Column 1 is constant 5 → std 1, maps to 0.
        var x = Tensor.FromArray([1f, 5f, 2f, 5f, 3f, 5f], 3, 2);
        var s = Standardizer.Fit(x);
        Assert.Equal([2f, 5f], s.Mean);
        Assert.Equal(MathF.Sqrt(2f / 3f), s.Std[0], 6);
        Assert.Equal(1f, s.Std[1]);
        var y = s.Transform(x).ToArray();
        float z = 1f / MathF.Sqrt(2f / 3f);
        Assert.Equal([-z, 0f, 0f, 0f, z, 0f], y, (a, b) => MathF.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Json_round_trip_gives_the_same_transform_bits()
    {
        var x = Tensor.FromArray([0.1f, 123.456f, -7f, 1e-3f, 3.3f, 99f], 3, 2);
        var s = Standardizer.Fit(x);
        var back = Standardizer.FromJson(s.ToJson());
        Assert.Equal(s.Transform(x).ToArray(), back.Transform(x).ToArray());
        Assert.StartsWith("{\"mean\":[", s.ToJson());
    }

    [Fact]
    public void Wrong_width_and_bad_json_are_named()
    {
        var s = Standardizer.Fit(Tensor.FromArray([1f, 2f], 1, 2));
        var e = Assert.Throws<ShapeMismatchException>(() => s.Transform(Tensor.Zeros(4, 3)));
        Assert.Equal("Standardizer.Transform: fitted on 2 features, got [4, 3].", e.Message);
        Assert.Throws<FormatException>(() => Standardizer.FromJson("{\"mean\":[1],\"std\":[0]}"));
        Assert.Throws<FormatException>(() => Standardizer.FromJson("{\"mean\":[1]}"));
    }
}
