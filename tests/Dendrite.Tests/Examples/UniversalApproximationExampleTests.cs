using Dendrite.Examples.UniversalApproximation;
using Dendrite.NN;

namespace Dendrite.Tests.Examples;

public class UniversalApproximationExampleTests
{
    [Fact]
    public void Wider_hidden_layer_fits_the_polynomial_better()
    {
        var narrow = UniversalApproximationExample.Train(hidden: 2, steps: 1500);
        var wide = UniversalApproximationExample.Train(hidden: 32, steps: 1500);

        // Two kinks cannot follow both bends of x³ − x; thirty-two can, to a few hundredths.
        Assert.True(narrow.Rmse > 0.2, $"2 units: RMSE {narrow.Rmse}");
        Assert.True(wide.Rmse < 0.05, $"32 units: RMSE {wide.Rmse}");
        Assert.Equal(800, wide.Grid.Length);
        Assert.Equal(UniversalApproximationExample.Low, wide.Grid[0]);
        Assert.Equal(UniversalApproximationExample.High, wide.Grid[^1], 6);
    }

    [Fact]
    public void Every_kink_starts_inside_the_interval()
    {
        var layer = (Linear)UniversalApproximationExample.Network(8, new Generator(3))[0];

        for (int j = 0; j < 8; j++)
        {
            float kink = -layer.Bias!.Data[j] / layer.Weight.Data[j];
            Assert.Equal(-1.5f + 3f * (j + 0.5f) / 8, kink, 5);
            Assert.Equal(1f, MathF.Abs(layer.Weight.Data[j]));
        }
    }
}
