using Dendrite.Autograd;
using Dendrite.NN;

namespace Dendrite.Distributed;

/// <summary>
/// Batch normalisation whose training statistics are those of the global batch, over every rank of
/// <see cref="Group"/> (PyTorch's <c>torch.nn.SyncBatchNorm</c>): N ranks with batch B normalise as one process with
/// batch N·B does, and their running statistics stay equal. A plain BatchNorm in a data-parallel model normalises
/// each rank's part on its own, which changes the result when per-rank batches are small.
/// </summary>
/// <remarks>
/// <para>Parameters and buffers carry BatchNorm's names (weight, bias, running_mean, running_var, num_batches_tracked), so
/// its state dict loads into a <see cref="BatchNorm2d"/> and back. Inputs are [N, C] or [N, C, …]. In evaluation the
/// running statistics are used, with no communication; ranks may hold batches of different sizes.</para>
/// <para>The mean and variance of the global batch are two collectives of C values per call in forward, and two in
/// backward (the gradients of the per-rank sums are summed over the ranks), on the caller's thread: every rank
/// must run the layer the same number of times.</para>
/// </remarks>
public sealed class SyncBatchNorm : BatchNormBase
{
    public SyncBatchNorm(int numFeatures, ProcessGroup group, float eps = 1e-5f, float momentum = 0.1f,
        bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!float.IsFinite(eps) || eps < 0)
            throw new ArgumentOutOfRangeException(nameof(eps), $"SyncBatchNorm: eps must be finite and >= 0, got {eps}.");
        if (!float.IsFinite(momentum) || momentum < 0 || momentum > 1)
            throw new ArgumentOutOfRangeException(nameof(momentum),
                $"SyncBatchNorm: momentum must be in [0, 1], got {momentum}.");
        Group = group;
    }

    /// <summary>A SyncBatchNorm holding <paramref name="batchNorm"/>'s settings, weights and running statistics.</summary>
    public static SyncBatchNorm From(BatchNormBase batchNorm, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(batchNorm);
        var sync = new SyncBatchNorm(batchNorm.NumFeatures, group, batchNorm.Eps, batchNorm.Momentum,
            batchNorm.Weight is not null, batchNorm.RunningMean is not null);
        sync.LoadStateDict(batchNorm.StateDict());
        return sync;
    }

    public ProcessGroup Group { get; }

    protected override (int[] Ranks, string Layout) Accepts => ([2, 3, 4, 5], "[N, C] or [N, C, …]");

    public override Tensor Forward(Tensor input)
    {
        // Evaluation with running statistics is plain BatchNorm (without them the batch's own are used, as in PyTorch).
        if (!Training && RunningMean is not null) return base.Forward(input);
        CheckInput(input);

        int[] reduced = [0, .. Enumerable.Range(2, input.Rank - 2)];
        int[] perChannel = [1, NumFeatures, .. Enumerable.Repeat(1, input.Rank - 2)];
        long count = GlobalCount(input.Numel / NumFeatures);
        if (count <= 1)
            throw new ShapeMismatchException($"{this}: training needs more than 1 value per channel over all ranks, " +
                $"got input {input.Shape} on rank {Group.Rank} and {count} values per channel in all.");
        var mean = SumOverRanks(F.Sum(input, reduced, keepDim: true)) * (1f / count);
        var centred = input - mean;
        var variance = SumOverRanks(F.Sum(centred * centred, reduced, keepDim: true)) * (1f / count);
        var y = centred * F.Pow(variance + Eps, -0.5f);
        if (Weight is not null && Bias is not null) y = y * Weight.Reshape(perChannel) + Bias.Reshape(perChannel);
        if (RunningMean is not null && RunningVar is not null && NumBatchesTracked is not null)
            UpdateRunningStatistics(mean, variance, count);
        return y;
    }

    protected override string ExtraRepr() => $"{base.ExtraRepr()}, ranks={Group.WorldSize}";

    // PyTorch's update: the running variance takes the unbiased variance of the global batch.
    private void UpdateRunningStatistics(Tensor mean, Tensor variance, long count)
    {
        using var _ = Tensor.NoGrad();
        var batchMean = mean.ToArray();
        var batchVariance = variance.ToArray();
        float unbias = (float)count / (count - 1);
        var runningMean = RunningMean!.Data;
        var runningVar = RunningVar!.Data;
        for (int c = 0; c < NumFeatures; c++)
        {
            runningMean[c] = (1 - Momentum) * runningMean[c] + Momentum * batchMean[c];
            runningVar[c] = (1 - Momentum) * runningVar[c] + Momentum * batchVariance[c] * unbias;
        }
        NumBatchesTracked!.Data[0] += 1;
    }

    private long GlobalCount(long local)
    {
        var all = new byte[sizeof(long) * Group.WorldSize];
        Group.AllGather(BitConverter.GetBytes(local), all);
        long total = 0;
        for (int r = 0; r < Group.WorldSize; r++) total += BitConverter.ToInt64(all, r * sizeof(long));
        return total;
    }

    /// <summary>
    /// y = Σ over the ranks of x, on every rank. Each rank's loss reads y, so dL/dx on a rank is the sum of the ranks'
    /// dL/dy: backward is the same collective on the incoming gradients.
    /// </summary>
    private Tensor SumOverRanks(Tensor x)
    {
        var y = Reduced(x);
        return Tape.Record(y, "SyncBatchNorm.AllReduce", [x], dy => [Reduced(dy)]);
    }

    private Tensor Reduced(Tensor x)
    {
        var values = x.ToArray();
        Group.AllReduce(values);
        return Tensor.FromArray(values, x.Shape.ToArray()).To(x.Device);
    }
}
