using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.Optim;

public class ExponentialMovingAverageTests
{
    private static Sequential Net() => new(new Linear(2, 2), new BatchNorm1d(2));

    [Fact]
    public void StartsAtTheModelsWeightsAndMovesByOneMinusDecayPerUpdate()
    {
        var model = Net();
        var ema = new ExponentialMovingAverage(model, Net(), decay: 0.9f);
        var weight = (Linear)model[0];
        var averaged = (Linear)((Sequential)ema.Average)[0];
        Assert.Equal(weight.Weight.ToArray(), averaged.Weight.ToArray());

        float start = weight.Weight.Data[0];
        weight.Weight.Data[0] = start + 1f;
        ema.Update();
        // θ̄ = 0.9·start + 0.1·(start + 1) = start + 0.1
        // A tolerance, not rounding to 6 places: two values a few ulps apart can round to different sixth decimals,
        // and start is a random initial weight (the default generator's state depends on the tests run before).
        Assert.Equal(start + 0.1f, averaged.Weight.Data[0], 1e-6f);
        ema.Update();
        // θ̄ = 0.9·(start + 0.1) + 0.1·(start + 1) = start + 0.19
        Assert.Equal(start + 0.19f, averaged.Weight.Data[0], 1e-6f);
    }

    [Fact]
    public void CopiesRunningStatisticsRatherThanAveragingThem()
    {
        var model = Net();
        var ema = new ExponentialMovingAverage(model, Net(), decay: 0.99f);
        var norm = (BatchNorm1d)model[1];
        norm.RunningMean!.Data[1] = 3f;
        ema.Update();
        Assert.Equal(3f, ((BatchNorm1d)((Sequential)ema.Average)[1]).RunningMean!.Data[1]);
    }

    [Fact]
    public void RejectsADifferentArchitectureTheModelItselfAndABadDecay()
    {
        var model = Net();
        var wider = new Sequential(new Linear(2, 3), new BatchNorm1d(3));
        var e = Assert.Throws<ArgumentException>(() => new ExponentialMovingAverage(model, wider));
        Assert.Contains("0.weight", e.Message);
        Assert.Contains("[3, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => new ExponentialMovingAverage(model, model));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(model, Net(), decay: 1f));
    }
}
