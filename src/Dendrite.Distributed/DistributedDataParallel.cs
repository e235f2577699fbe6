using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Training;

namespace Dendrite.Distributed;

/// <summary>
/// Data-parallel training of any module, after PyTorch's DistributedDataParallel: every rank holds the same model,
/// trains on its own part of each batch (<see cref="Shard"/>), and before each optimiser step the gradients are
/// averaged over the ranks, so N ranks with batch B each take the step one process takes with batch N·B.
/// </summary>
/// <remarks>
/// <para>At construction the model's parameter and buffer names and shapes are compared across ranks (a mismatch throws
/// on every rank, naming the first difference), then rank 0's values are copied to every rank.</para>
/// <para>Gradients live as views in one flat buffer, laid out in reverse registration order (the order backward
/// produces them) and cut into buckets: the first of about 1 MB, the others of up to <c>bucketCapMB</c>, whole
/// parameters each, as PyTorch's. A hook on every parameter (<see cref="Tensor.RegisterPostAccumulateGradHook"/>) sees
/// its gradient complete during backward; when a bucket is full it is queued to the group's communication thread,
/// which all-reduces and averages it while backward goes on through the layers below (unless the constructor's
/// <c>overlap</c> says to reduce after backward). Buckets are queued in a fixed
/// order, so the ranks' collectives pair up. <see cref="SynchronizeGradients"/>, after backward, queues what backward
/// did not reach (as zeros) and waits for the last bucket: <see cref="Trainer.Fit"/> calls it through
/// <see cref="ICallback.OnAfterBackward"/> when this object is among its callbacks; an explicit loop calls it between
/// <c>Backward()</c> and <c>Step()</c>.</para>
/// <para>State dict names gain the prefix "module.", as PyTorch's wrapper's do; save <see cref="Module"/> itself to
/// keep the model's own names.</para>
/// </remarks>
public sealed class DistributedDataParallel : Module, ICallback, IDisposable
{
    /// <summary>PyTorch's first bucket: small (or the cap, if smaller), so communication starts early in backward.</summary>
    private const long FirstBucketBytes = 1 << 20;

    private readonly Parameter[] _parameters;     // reverse registration order: the layout of the flat buffer
    private readonly Tensor[] _gradViews;
    private readonly Tensor _flat;
    private readonly GradientBucket[] _buckets;   // in the order they are queued
    private readonly int[] _bucketOfParameter;
    private readonly bool[] _ready;
    private readonly IDisposable[] _hooks;
    private int _nextBucket;
    private long _communicationTicks;
    private float[]? _gathered;
    private int _noSyncDepth;
    private readonly ulong? _dropoutSeed;
    private bool _disposed;

    /// <param name="module">The model; its values on rank 0 become every rank's.</param>
    /// <param name="group">The ranks training together.</param>
    /// <param name="deterministic">
    /// Sum the ranks' gradients in rank order on every rank (all-gather, then add) instead of MPI's all-reduce, whose
    /// order of additions is the library's choice: results then have the same bits whatever the MPI library.
    /// </param>
    /// <param name="dropoutSeed">
    /// When set, ranks other than 0 reseed the default generator (dropout masks) with <see cref="RankSeed"/>(seed,
    /// rank), so ranks drop different units, and again at the start of every epoch of <see cref="Trainer.Fit"/>
    /// from (seed + epoch, rank), so a run resumed from rank 0's checkpoint draws the masks the uninterrupted run
    /// draws. Rank 0 keeps its stream (which checkpoints carry), so one rank runs as one process does. The generator is
    /// process-wide: leave it null when ranks are threads of one process.
    /// </param>
    /// <param name="bucketCapMB">
    /// The most megabytes of gradients reduced together after the first bucket (PyTorch's <c>bucket_cap_mb</c>, 25):
    /// larger buckets mean fewer collectives, smaller ones start earlier.
    /// </param>
    /// <param name="overlap">
    /// Reduce full buckets on the communication thread while backward goes on (true, PyTorch's way), or all of them
    /// after backward on the training thread (false). Overlap pays even on a rank bound to one core: on W2 with 2 ranks
    /// of 1 thread each, an epoch took 23.2 s with it and 25.6 s without, although MPI's spinning wait then shares the
    /// core with backward.
    /// </param>
    public DistributedDataParallel(Module module, ProcessGroup group, bool deterministic = false,
        ulong? dropoutSeed = null, double bucketCapMB = 25, bool overlap = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(group);
        if (!(bucketCapMB > 0) || double.IsInfinity(bucketCapMB))
            throw new ArgumentOutOfRangeException(nameof(bucketCapMB),
                $"DistributedDataParallel: bucketCapMB must be a positive number of megabytes, got {bucketCapMB}.");
        Module = AddModule("module", module);
        Group = group;
        Deterministic = deterministic;
        Overlap = overlap;
        CheckSameModel();
        foreach (var (_, p) in module.NamedParameters()) group.Broadcast(p.Data);
        foreach (var (_, b) in module.NamedBuffers()) group.Broadcast(b.Data);
        _parameters = [.. module.Parameters().Where(p => p.RequiresGrad).Reverse()];
        // FromArray takes memory of its own: a TensorScope open around construction must not recycle the buffer.
        _flat = Tensor.FromArray(new float[_parameters.Sum(p => (long)p.Numel) is var n && n <= Array.MaxLength
            ? (int)n
            : throw new NotSupportedException($"DistributedDataParallel: {n} gradients do not fit one buffer.")]);
        _gradViews = new Tensor[_parameters.Length];
        _bucketOfParameter = new int[_parameters.Length];
        var buckets = new List<GradientBucket>();
        using (Tensor.NoGrad())
        {
            int offset = 0, bucketStart = 0, members = 0;
            long laterCap = (long)Math.Min(bucketCapMB * (1 << 20), long.MaxValue / 2);
            long cap = Math.Min(FirstBucketBytes, laterCap);
            for (int i = 0; i < _parameters.Length; i++)
            {
                var p = _parameters[i];
                _gradViews[i] = _flat.Slice(offset, p.Numel).Reshape(p.Shape.ToArray());
                offset += p.Numel;
                _bucketOfParameter[i] = buckets.Count;
                members++;
                if ((long)(offset - bucketStart) * sizeof(float) >= cap || i == _parameters.Length - 1)
                {
                    buckets.Add(new GradientBucket(this, bucketStart, offset - bucketStart, members));
                    bucketStart = offset;
                    members = 0;
                    cap = laterCap;
                }
            }
        }
        _buckets = [.. buckets];
        _ready = new bool[_parameters.Length];
        _hooks = new IDisposable[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            int index = i;
            _hooks[i] = _parameters[i].RegisterPostAccumulateGradHook(_ => GradientReady(index));
        }
        _dropoutSeed = dropoutSeed;
        if (dropoutSeed is { } seed && group.Rank != 0) Torch.ManualSeed(RankSeed(seed, group.Rank));
    }

    /// <summary>The wrapped model.</summary>
    public Module Module { get; }

    public ProcessGroup Group { get; }

    /// <summary>Whether gradients are summed in rank order (see the constructor).</summary>
    public bool Deterministic { get; }

    /// <summary>Whether buckets are reduced on the communication thread while backward runs (see the constructor).</summary>
    public bool Overlap { get; }

    /// <summary>Gradient synchronisations run so far (not those skipped inside <see cref="NoSync"/>).</summary>
    public int Synchronizations { get; private set; }

    /// <summary>
    /// Time the training thread waited in <see cref="SynchronizeGradients"/> for reductions backward did not hide.
    /// </summary>
    public TimeSpan SynchronizationTime { get; private set; }

    /// <summary>
    /// Time spent reducing gradient buckets, including waits for slower ranks: on the communication thread, where it
    /// overlaps backward, or on the training thread after backward (<see cref="Overlap"/>).
    /// </summary>
    public TimeSpan CommunicationTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _communicationTicks));

    /// <summary>How many buckets the gradients are reduced in.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>This rank's part of the data: for <see cref="DataLoader.Shard"/>, or Fit's shard.</summary>
    public DataShard Shard => new(Group.Rank, Group.WorldSize);

    /// <summary>
    /// The seed of rank <paramref name="rank"/>'s random stream: <paramref name="seed"/> itself on rank 0, a different
    /// stream on every other rank (the generator's seeding scrambles neighbouring seeds).
    /// </summary>
    public static ulong RankSeed(ulong seed, int rank) => seed + 0x9E3779B97F4A7C15UL * (ulong)rank;

    public override Tensor Forward(Tensor input) => Module.Call(input);

    /// <summary>
    /// Replaces every parameter's gradient by its mean over the ranks (a parameter that got none counts as zero),
    /// unless inside <see cref="NoSync"/>: queues the buckets backward has not queued and waits for all of them (or,
    /// without <see cref="Overlap"/>, reduces every bucket here). Every rank must call it at the same point of the same
    /// step.
    /// </summary>
    public void SynchronizeGradients()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_noSyncDepth > 0) return;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < _parameters.Length; i++)
            if (!_ready[i]) MarkReady(i);
        try
        {
            if (Overlap) Group.DrainBackground();
            else
            {
                Group.DrainBackground();   // another user's queued collectives come first
                foreach (var bucket in _buckets) Reduce(bucket);
            }
        }
        finally
        {
            Array.Clear(_ready);
            foreach (var bucket in _buckets) bucket.Pending = bucket.Members;
            _nextBucket = 0;
        }
        Synchronizations++;
        SynchronizationTime += Stopwatch.GetElapsedTime(start);
    }

    // The tape calls this (through the parameter's hook) once the parameter's gradient of this backward pass is whole.
    private void GradientReady(int index)
    {
        if (_noSyncDepth > 0 || _disposed) return;
        if (_ready[index])
            throw new InvalidOperationException($"DistributedDataParallel: a parameter of shape " +
                $"{_parameters[index].Shape} received a second gradient before SynchronizeGradients: run the backward " +
                "passes of all micro-batches but the last inside NoSync().");
        MarkReady(index);
    }

    // Puts parameter i's gradient into its view of the flat buffer and queues every bucket that is complete, in order.
    private void MarkReady(int i)
    {
        var p = _parameters[i];
        var view = _gradViews[i];
        // After the first step the tape writes straight into the views (ZeroGrad keeps the buffer it releases for the
        // next backward); a gradient elsewhere is copied in, and the view becomes the gradient from then on.
        if (p.Grad is null) view.Data.Clear();
        else if (!ReferenceEquals(p.Grad, view)) p.Grad.Data.CopyTo(view.Data);
        p.Grad = view;
        _ready[i] = true;
        --_buckets[_bucketOfParameter[i]].Pending;
        if (!Overlap) return;   // SynchronizeGradients reduces them all, in order
        while (_nextBucket < _buckets.Length && _buckets[_nextBucket].Pending == 0)
            Group.Background.Post(_buckets[_nextBucket++]);
    }

    // On the communication thread: the sum over the ranks, then the mean.
    private void Reduce(GradientBucket bucket)
    {
        long start = Stopwatch.GetTimestamp();
        var values = _flat.Data.Slice(bucket.Offset, bucket.Length);
        if (Deterministic) SumInRankOrder(values);
        else Group.AllReduceCore(values);
        if (Group.WorldSize > 1) TensorPrimitives.Divide(values, Group.WorldSize, values);
        Interlocked.Add(ref _communicationTicks, Stopwatch.GetTimestamp() - start);
    }

    /// <summary>
    /// Skips <see cref="SynchronizeGradients"/> until disposed, for gradient accumulation as PyTorch's
    /// <c>no_sync()</c>: run the backward passes of all micro-batches but the last inside it; the last one's
    /// synchronisation averages the accumulated sums.
    /// </summary>
    public IDisposable NoSync()
    {
        _noSyncDepth++;
        return new SyncRestorer(this);
    }

    void ICallback.OnAfterBackward(int batch) => SynchronizeGradients();

    void ICallback.OnEpochBegin(int epoch, int epochs, int batches)
    {
        if (_dropoutSeed is { } seed && Group.Rank != 0) Torch.ManualSeed(RankSeed(seed + (ulong)epoch, Group.Rank));
    }

    private void SumInRankOrder(Span<float> values)
    {
        int n = values.Length;
        if ((long)n * Group.WorldSize > Array.MaxLength)
            throw new NotSupportedException($"DistributedDataParallel: deterministic reduction of {n} gradients over " +
                $"{Group.WorldSize} ranks needs more than one array.");
        _gathered ??= new float[_buckets.Max(b => b.Length) * Group.WorldSize];
        var gathered = _gathered.AsSpan(0, n * Group.WorldSize);
        Group.AllGatherCore(MemoryMarshal.AsBytes(values), MemoryMarshal.AsBytes(gathered));
        gathered[..n].CopyTo(values);
        for (int r = 1; r < Group.WorldSize; r++) TensorPrimitives.Add(values, gathered.Slice(r * n, n), values);
    }

    // Ranks that disagree on the model would exchange mismatched buffers; every rank compares every rank's list of
    // names and shapes with rank 0's, so all of them throw the same message instead of hanging or corrupting weights.
    private void CheckSameModel()
    {
        var lines = Module.NamedParameters().Select(p => $"parameter {p.Name} {p.Parameter.Shape}")
            .Concat(Module.NamedBuffers().Select(b => $"buffer {b.Name} {b.Buffer.Shape}")).ToList();
        var mine = Encoding.UTF8.GetBytes(string.Join("\n", lines));
        var lengths = new byte[sizeof(int) * Group.WorldSize];
        Group.AllGather(BitConverter.GetBytes(mine.Length), lengths);
        int longest = Enumerable.Range(0, Group.WorldSize).Max(r => BitConverter.ToInt32(lengths, r * sizeof(int)));
        var padded = new byte[longest];
        mine.CopyTo(padded, 0);
        var all = new byte[longest * Group.WorldSize];
        Group.AllGather(padded, all);
        string Text(int rank) =>
            Encoding.UTF8.GetString(all, rank * longest, BitConverter.ToInt32(lengths, rank * sizeof(int)));
        var reference = Text(0).Split('\n');
        for (int r = 1; r < Group.WorldSize; r++)
        {
            var other = Text(r).Split('\n');
            if (reference.SequenceEqual(other)) continue;
            int i = 0;
            while (i < reference.Length && i < other.Length && reference[i] == other[i]) i++;
            string At(string[] list) => i < list.Length ? list[i] : "nothing more";
            throw new ArgumentException($"DistributedDataParallel: rank {r}'s model differs from rank 0's " +
                $"at entry {i}: rank 0 has {At(reference)}, rank {r} has {At(other)}.");
        }
    }

    /// <summary>Removes the gradient hooks; waits for reductions in flight.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var hook in _hooks) hook.Dispose();
        Group.DrainBackground();
    }

    private sealed class GradientBucket(DistributedDataParallel owner, int offset, int length, int members)
        : QueuedCollective
    {
        public int Offset { get; } = offset;
        public int Length { get; } = length;
        public int Members { get; } = members;

        /// <summary>Members whose gradient this step is not yet in the buffer.</summary>
        public int Pending { get; set; } = members;

        public override void Run() => owner.Reduce(this);
    }

    private sealed class SyncRestorer(DistributedDataParallel owner) : IDisposable
    {
        private DistributedDataParallel? _owner = owner;

        public void Dispose()
        {
            if (_owner is null) return;
            _owner._noSyncDepth--;
            _owner = null;
        }
    }
}
