using Dendrite.Autograd;
using Dendrite.Distributed;
using Dendrite.Distributed.Check;
using Dendrite.NN;
using Xunit.Abstractions;

namespace Dendrite.Tests.Distributed;

public class DistributedDataParallelTests(ITestOutputHelper output)
{
    /// <summary>
    /// Two in-process ranks against one process on the same global batch: one W2 step's gradient (2 × 32 samples
    /// against 64, dropout off), a small network after 200 SGD steps, and after 3 epochs of Fit.
    /// </summary>
    [Theory]
    [InlineData("W2 gradient", 1e-6)]
    [InlineData("200 SGD steps", 1e-4)]
    [InlineData("3 epochs of Fit", 1e-4)]
    public void Two_ranks_match_one_process_on_the_global_batch(string check, double bound)
    {
        Func<ProcessGroup, double> run = check switch
        {
            "W2 gradient" => g => DistributedChecks.W2GradientGap(g),
            "200 SGD steps" => g => DistributedChecks.SgdTrajectoryGap(g),
            _ => DistributedChecks.FitGap,
        };
        var gaps = InProcessGroup.Run(2, run);
        output.WriteLine($"{check}: largest relative gap {gaps[0]:E2}");
        Assert.All(gaps, gap => Assert.InRange(gap, 0, bound));
    }

    [Fact]
    public void Deterministic_runs_repeat_bit_for_bit_and_agree_across_ranks()
    {
        var first = InProcessGroup.Run(2, DistributedChecks.DeterministicFingerprint);
        var second = InProcessGroup.Run(2, DistributedChecks.DeterministicFingerprint);
        Assert.Equal(first[0], first[1]);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Wrapping_copies_rank_0s_parameters_to_every_rank()
    {
        var weights = InProcessGroup.Run(3, g =>
        {
            var layer = new Linear(2, 1);
            layer.Weight.Data.Fill(g.Rank + 1);
            layer.Bias!.Data.Fill(-g.Rank);
            _ = new DistributedDataParallel(layer, g);
            return layer.Weight.ToArray().Concat(layer.Bias.ToArray()).ToArray();
        });
        Assert.All(weights, w => Assert.Equal([1f, 1f, 0f], w));
    }

    [Fact]
    public void Different_models_are_refused_with_the_first_difference()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
            new DistributedDataParallel(new Linear(3, g.Rank == 0 ? 2 : 4), g)));
        Assert.Equal("DistributedDataParallel: rank 1's model differs from rank 0's at entry 0: " +
            "rank 0 has parameter weight [2, 3], rank 1 has parameter weight [4, 3].", e.InnerException!.Message);
    }

    [Fact]
    public void After_the_first_step_backward_writes_gradients_straight_into_the_flat_buffer()
    {
        // ZeroGrad keeps the released gradient for the next backward to fill; once that is the flat buffer's view, no
        // step copies gradients before the all-reduce. (Were it lost, synchronisation would copy: slower, still right.)
        var reused = InProcessGroup.Run(2, g =>
        {
            var layer = new Linear(3, 2);
            var ddp = new DistributedDataParallel(layer, g);
            var x = Tensor.FromArray([1f, 2f, 3f], 1, 3);
            ddp.Call(x).Sum().Backward();
            ddp.SynchronizeGradients();
            var view = layer.Weight.Grad;
            ddp.ZeroGrad();
            ddp.Call(x).Sum().Backward();
            return ReferenceEquals(view, layer.Weight.Grad);
        });
        Assert.All(reused, Assert.True);
    }

    [Fact]
    public void NoSync_accumulates_locally_and_the_next_synchronisation_averages_the_sums()
    {
        // loss = x·w summed, so dL/dw is the sum of the input rows. Rank r: micro-batches [r + 1, 2] and [1, r].
        var grads = InProcessGroup.Run(2, g =>
        {
            var layer = new Linear(2, 1, bias: false);
            var ddp = new DistributedDataParallel(layer, g);
            float[] local;
            using (ddp.NoSync())
            {
                ddp.Call(Tensor.FromArray([g.Rank + 1f, 2f], 1, 2)).Sum().Backward();
                ddp.SynchronizeGradients();   // skipped inside NoSync
                local = layer.Weight.Grad!.ToArray();
            }
            ddp.Call(Tensor.FromArray([1f, g.Rank], 1, 2)).Sum().Backward();
            ddp.SynchronizeGradients();
            return (local, layer.Weight.Grad!.ToArray());
        });
        Assert.Equal([1f, 2f], grads[0].local);
        Assert.Equal([2f, 2f], grads[1].local);
        // Sums [2, 2] on rank 0 and [3, 3] on rank 1, averaged.
        Assert.All(grads, r => Assert.Equal([2.5f, 2.5f], r.Item2));
    }

    [Fact]
    public void Buckets_of_any_size_give_the_mean_of_the_ranks_gradients()
    {
        // Rank r's gradient is computed on its own rows; the synchronised one must be the mean of both, whether
        // the parameters travel in one bucket or in one bucket each (reduced while backward goes on).
        foreach (var (capMB, buckets, overlap) in new[] { (25.0, 1, true), (1e-9, 6, true), (1e-9, 6, false) })
        {
            var results = InProcessGroup.Run(2, g =>
            {
                var (local, reduced) = (Gradients(g, capMB, overlap, sync: false), Gradients(g, capMB, overlap, sync: true));
                return (local.Grads, reduced.Grads, reduced.Buckets);
            });
            Assert.All(results, r => Assert.Equal(buckets, r.Buckets));
            for (int i = 0; i < results[0].Item1.Length; i++)
            {
                var mean = results[0].Item1[i].Zip(results[1].Item1[i], (a, b) => (a + b) / 2).ToArray();
                Assert.Equal(mean, results[0].Item2[i]);
                Assert.Equal(mean, results[1].Item2[i]);
            }
        }
    }

    private static (float[][] Grads, int Buckets) Gradients(ProcessGroup g, double capMB, bool overlap, bool sync)
    {
        // Weights from a formula, not the process-wide generator, which other tests' threads draw from meanwhile.
        var net = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 8), new Tanh(), new Linear(8, 2));
        int k = 0;
        foreach (var p in net.Parameters())
        {
            var values = p.Data;
            for (int i = 0; i < values.Length; i++) values[i] = MathF.Sin(0.7f * k++) / 2;
        }
        var x = Tensor.FromArray([.. Enumerable.Range(0, 12).Select(i => (i + 5f * g.Rank) / 10f)], 3, 4);
        if (!sync)
        {
            var y = net.Call(x);
            (y * y).Sum().Backward();
            return ([.. net.Parameters().Select(p => p.Grad!.ToArray())], 0);
        }
        using var ddp = new DistributedDataParallel(net, g, bucketCapMB: capMB, overlap: overlap);
        var z = ddp.Call(x);
        (z * z).Sum().Backward();
        ddp.SynchronizeGradients();
        return ([.. net.Parameters().Select(p => p.Grad!.ToArray())], ddp.BucketCount);
    }

    [Fact]
    public void A_full_bucket_is_reduced_while_backward_goes_on_through_the_layers_below()
    {
        var group = new WatchedGroup();
        Torch.ManualSeed(2);
        var first = new Linear(3, 4);
        var last = new Linear(4, 2);
        using var ddp = new DistributedDataParallel(new Sequential(first, last), group, bucketCapMB: 1e-9, overlap: true);
        bool reducedBeforeFirstLayer = false;
        var hidden = first.Call(Tensor.FromArray([1f, 2f, 3f], 1, 3));
        // The probe's backward runs after the last layer's and before the first layer's.
        var probed = Tape.Record(hidden.Detach(), "Probe", [hidden], dy =>
        {
            reducedBeforeFirstLayer = group.Reduced.Wait(TimeSpan.FromSeconds(10));
            return [dy];
        });
        last.Call(probed).Sum().Backward();
        ddp.SynchronizeGradients();
        Assert.True(reducedBeforeFirstLayer);
        Assert.Equal(4, group.Reductions);
    }

    [Fact]
    public void A_second_backward_without_NoSync_is_refused()
    {
        var group = new WatchedGroup();
        var layer = new Linear(2, 1);
        using var ddp = new DistributedDataParallel(layer, group);
        var x = Tensor.FromArray([1f, 2f], 1, 2);
        ddp.Call(x).Sum().Backward();
        var e = Assert.Throws<InvalidOperationException>(() => ddp.Call(x).Sum().Backward());
        Assert.Contains("NoSync()", e.Message);
    }

    [Fact]
    public void An_unused_parameter_is_reduced_as_zeros()
    {
        var grads = InProcessGroup.Run(2, g =>
        {
            var used = new Linear(2, 1, bias: false);
            var unused = new Linear(2, 1, bias: false);
            var holder = new Sequential(used, unused);
            using var ddp = new DistributedDataParallel(holder, g);
            used.Call(Tensor.FromArray([2f * (g.Rank + 1), 1f], 1, 2)).Sum().Backward();
            ddp.SynchronizeGradients();
            return (used.Weight.Grad!.ToArray(), unused.Weight.Grad!.ToArray());
        });
        Assert.All(grads, r =>
        {
            Assert.Equal([3f, 1f], r.Item1);
            Assert.Equal([0f, 0f], r.Item2);
        });
    }

    /// <summary>A world of one rank that signals when a reduction starts.</summary>
    private sealed class WatchedGroup : ProcessGroup
    {
        public ManualResetEventSlim Reduced { get; } = new();
        public int Reductions;

        public override int Rank => 0;
        public override int WorldSize => 1;
        public override int LocalRank => 0;
        public override string Description => "watched, 1 rank";

        protected override void AllReduceCore(Span<float> data)
        {
            Interlocked.Increment(ref Reductions);
            Reduced.Set();
        }

        protected override void BroadcastCore(Span<byte> data, int root) { }
        protected override void AllGatherCore(ReadOnlySpan<byte> send, Span<byte> receive) => send.CopyTo(receive);
        protected override void BarrierCore() { }
        public override void Abort(string message, int exitCode = 1) => throw new InvalidOperationException(message);
    }
}
