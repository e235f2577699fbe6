using Dendrite.Backends;
using Dendrite.Backends.Cpu;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Kernels;

[Collection(ProcessStateCollection.Name)]
public class BernoulliMaskTests
{
    private static (float[] Mask, float[] Y) Draw(int length, float p, ulong seed, bool vectorised, int threads)
    {
        int saved = Threading.NumThreads;
        try
        {
            Threading.NumThreads = threads;
            var x = Enumerable.Range(0, length).Select(i => i * 0.5f - 7f).ToArray();
            var mask = new float[length];
            var y = new float[length];
            BernoulliMask.Apply(x, mask, y, p, 1f / (1f - p), seed, vectorised);
            return (mask, y);
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16_390)] // one full chunk and a ragged second one
    [InlineData(200_003)]
    public void VectorAndScalarPathsAndThreadCountsGiveTheSameMask(int length)
    {
        var reference = Draw(length, 0.3f, 42, vectorised: false, threads: 1);
        Assert.Equal(reference.Mask, Draw(length, 0.3f, 42, vectorised: true, threads: 1).Mask);
        Assert.Equal(reference.Mask, Draw(length, 0.3f, 42, vectorised: true, threads: 2).Mask);
        Assert.Equal(reference.Y, Draw(length, 0.3f, 42, vectorised: true, threads: 2).Y);
        if (length > 100) Assert.NotEqual(reference.Mask, Draw(length, 0.3f, 43, vectorised: true, threads: 1).Mask);
    }

    [Theory]
    [InlineData(0.25f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void DropsAboutPAndScalesTheRestSoYIsXTimesTheMask(float p)
    {
        const int n = 400_000;
        var (mask, y) = Draw(n, p, 9, vectorised: true, threads: 2);
        double dropped = mask.Count(m => m == 0f) / (double)n;
        Assert.InRange(dropped, p - 0.005, p + 0.005);
        Assert.All(mask, m => Assert.True(m == 0f || m == 1f / (1f - p)));
        for (int i = 0; i < n; i += 997) Assert.Equal((i * 0.5f - 7f) * mask[i], y[i]);
    }

    [Fact]
    public void ZeroKeepsEverythingAndOneDropsEverything()
    {
        Assert.All(Draw(1000, 0f, 1, vectorised: true, threads: 1).Mask, m => Assert.Equal(1f, m));
        var x = new float[1000];
        var mask = new float[1000];
        BernoulliMask.Apply(x, mask, new float[1000], 1f, 0f, 1);
        Assert.All(mask, m => Assert.Equal(0f, m));
    }
}
