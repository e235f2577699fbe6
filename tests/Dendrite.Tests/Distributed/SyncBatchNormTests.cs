using Dendrite.Distributed;
using Dendrite.NN;

namespace Dendrite.Tests.Distributed;

public class SyncBatchNormTests
{
    // Rank 0 holds 3 samples, rank 1 holds 5: the global batch is their 8, as one process would see it.
    private static readonly int[] s_samples = [3, 5];
    private const int Channels = 2;

    private static float[] Inputs(int samples, int offset) =>
        [.. Enumerable.Range(offset * Channels * 6, samples * Channels * 6).Select(i => MathF.Sin(i * 0.37f) * 3 + i % 5)];

    // A fixed loss weighting so that each output element has its own gradient.
    private static Tensor Coefficients(int samples, int offset) => Tensor.FromArray(
        [.. Enumerable.Range(offset * Channels * 6, samples * Channels * 6).Select(i => MathF.Cos(i * 0.11f))],
        samples, Channels, 2, 3);

    [Fact]
    public void Two_ranks_normalise_and_differentiate_as_one_process_on_the_global_batch()
    {
        // One process, plain BatchNorm2d on all 8 samples.
        var bn = new BatchNorm2d(Channels);
        bn.Weight!.Data[0] = 1.5f;
        bn.Bias!.Data[1] = -0.25f;
        var x = Tensor.FromArray(Inputs(8, 0), 8, Channels, 2, 3).RequireGrad();
        var y = bn.Call(x);
        (y * Coefficients(8, 0)).Sum().Backward();
        var expectedY = y.ToArray();
        var expectedDx = x.Grad!.ToArray();
        var expectedDw = bn.Weight.Grad!.ToArray();
        var expectedDb = bn.Bias.Grad!.ToArray();

        var ranks = InProcessGroup.Run(2, g =>
        {
            int offset = g.Rank == 0 ? 0 : s_samples[0], samples = s_samples[g.Rank];
            var sync = new SyncBatchNorm(Channels, g);
            sync.Weight!.Data[0] = 1.5f;
            sync.Bias!.Data[1] = -0.25f;
            var xr = Tensor.FromArray(Inputs(samples, offset), samples, Channels, 2, 3).RequireGrad();
            var yr = sync.Call(xr);
            (yr * Coefficients(samples, offset)).Sum().Backward();
            // The weights' gradients of the global loss are the sum of the ranks' (DDP would then average them).
            var dw = sync.Weight.Grad!.ToArray();
            var db = sync.Bias.Grad!.ToArray();
            g.AllReduce(dw);
            g.AllReduce(db);
            return (Y: yr.ToArray(), Dx: xr.Grad!.ToArray(), Dw: dw, Db: db,
                Mean: sync.RunningMean!.ToArray(), Var: sync.RunningVar!.ToArray(),
                Batches: sync.NumBatchesTracked!.ToArray()[0]);
        });

        int split = s_samples[0] * Channels * 6;
        AssertClose(expectedY, [.. ranks[0].Y, .. ranks[1].Y], 1e-5);
        AssertClose(expectedDx, [.. ranks[0].Dx, .. ranks[1].Dx], 1e-4);
        Assert.Equal(split, ranks[0].Y.Length);
        foreach (var rank in ranks)
        {
            AssertClose(expectedDw, rank.Dw, 1e-4);
            AssertClose(expectedDb, rank.Db, 1e-4);
            AssertClose(bn.RunningMean!.ToArray(), rank.Mean, 1e-6);
            AssertClose(bn.RunningVar!.ToArray(), rank.Var, 1e-6);
            Assert.Equal(1f, rank.Batches);
        }
    }

    [Fact]
    public void Evaluation_uses_the_running_statistics_and_the_state_dict_is_BatchNorms()
    {
        var bn = new BatchNorm2d(Channels);
        bn.RunningMean!.Data[0] = 2f;
        bn.RunningVar!.Data[1] = 4f;
        bn.Weight!.Data[1] = 3f;
        bn.Eval();
        var x = Tensor.FromArray(Inputs(2, 0), 2, Channels, 2, 3);
        var expected = bn.Call(x).ToArray();
        var outputs = InProcessGroup.Run(2, g =>
        {
            var sync = SyncBatchNorm.From(bn, g);
            sync.Eval();
            Assert.Equal(bn.StateDict().Keys.Order(), sync.StateDict().Keys.Order());
            return sync.Call(x).ToArray();
        });
        Assert.All(outputs, o => Assert.Equal(expected, o));
    }

    [Fact]
    public void A_wrong_channel_count_names_the_layer_and_shapes()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(1, g =>
            new SyncBatchNorm(3, g).Call(Tensor.Zeros(4, 2))));
        Assert.Contains("SyncBatchNorm(3", e.InnerException!.Message);
        Assert.Contains("[4, 2]", e.InnerException.Message);
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
