using System.Numerics.Tensors;

namespace Dendrite.Distributed;

/// <summary>
/// A group of ranks that are threads of one process, exchanging data through shared memory: tests run
/// data-parallel training with it, without MPI. Reductions add the ranks' values in rank order, so every rank gets the
/// same bits and a run repeats exactly.
/// </summary>
public sealed class InProcessGroup : ProcessGroup
{
    private readonly Hub _hub;

    private InProcessGroup(Hub hub, int rank)
    {
        _hub = hub;
        Rank = rank;
    }

    public override int Rank { get; }
    public override int WorldSize => _hub.WorldSize;
    public override int LocalRank => Rank;
    public override string Description => $"in-process, {WorldSize} ranks";

    /// <summary>The <paramref name="worldSize"/> ranks of a new group; give each to its own thread.</summary>
    public static IReadOnlyList<ProcessGroup> Create(int worldSize)
    {
        if (worldSize < 1)
            throw new ArgumentOutOfRangeException(nameof(worldSize),
                $"InProcessGroup: worldSize must be at least 1, got {worldSize}.");
        var hub = new Hub(worldSize);
        return [.. Enumerable.Range(0, worldSize).Select(r => new InProcessGroup(hub, r))];
    }

    /// <summary>
    /// Runs <paramref name="body"/>(group) on <paramref name="worldSize"/> threads, one per rank, and returns each
    /// rank's result in rank order. An exception on a rank aborts the group (the others stop at their next collective)
    /// and is rethrown here.
    /// </summary>
    public static T[] Run<T>(int worldSize, Func<ProcessGroup, T> body)
    {
        var groups = Create(worldSize);
        var results = new T[worldSize];
        var errors = new Exception?[worldSize];
        var threads = groups.Select(g => new Thread(() =>
        {
            try
            {
                results[g.Rank] = body(g);
            }
            catch (Exception e)
            {
                errors[g.Rank] = e;
                if (e is not ProcessGroupAbortedException) ((InProcessGroup)g).Cancel($"rank {g.Rank}: {e.Message}");
            }
        })).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        // The failing rank's own exception says more than the aborts it caused on the others.
        var first = errors.FirstOrDefault(e => e is not null and not ProcessGroupAbortedException)
            ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null) throw new AggregateException($"InProcessGroup: a rank failed: {first.Message}", first);
        return results;
    }

    protected internal override void AllReduceCore(Span<float> data)
    {
        // Slots only grow, so gradient buckets of different sizes take no fresh memory step after step.
        if (_hub.FloatSlots[Rank].Length < data.Length) _hub.FloatSlots[Rank] = new float[data.Length];
        data.CopyTo(_hub.FloatSlots[Rank]);
        _hub.FloatLengths[Rank] = data.Length;
        Wait();
        for (int r = 0; r < WorldSize; r++)
            if (_hub.FloatLengths[r] != data.Length)
                throw new ArgumentException(
                    $"InProcessGroup.AllReduce: rank {Rank} has {data.Length} values, " +
                    $"rank {r} has {_hub.FloatLengths[r]}.");
        _hub.FloatSlots[0].AsSpan(0, data.Length).CopyTo(data);
        for (int r = 1; r < WorldSize; r++) TensorPrimitives.Add(data, _hub.FloatSlots[r].AsSpan(0, data.Length), data);
        Wait();   // no rank may overwrite its slot with the next collective before every rank has read it
    }

    protected internal override void BroadcastCore(Span<byte> data, int root)
    {
        if (Rank == root) _hub.ByteSlots[root] = data.ToArray();
        Wait();
        var source = _hub.ByteSlots[root];
        if (source.Length != data.Length)
            throw new ArgumentException(
                $"InProcessGroup.Broadcast: rank {Rank} expects {data.Length} bytes, " +
                $"root {root} sent {source.Length}.");
        if (Rank != root) source.CopyTo(data);
        Wait();
    }

    protected internal override void AllGatherCore(ReadOnlySpan<byte> send, Span<byte> receive)
    {
        _hub.ByteSlots[Rank] = send.ToArray();
        Wait();
        for (int r = 0; r < WorldSize; r++)
        {
            var part = _hub.ByteSlots[r];
            if (part.Length != send.Length)
                throw new ArgumentException(
                    $"InProcessGroup.AllGather: rank {Rank} sends {send.Length} bytes, rank {r} sent {part.Length}.");
            part.CopyTo(receive.Slice(r * send.Length));
        }
        Wait();
    }

    protected internal override void BarrierCore() => Wait();

    /// <summary>Stops every rank at its next collective with <paramref name="message"/>, and throws it here.</summary>
    public override void Abort(string message, int exitCode = 1)
    {
        Cancel($"rank {Rank}: {message}");
        throw new ProcessGroupAbortedException($"rank {Rank}: {message}");
    }

    private void Cancel(string message)
    {
        Interlocked.CompareExchange(ref _hub.AbortMessage, message, null);
        _hub.Aborted.Cancel();
    }

    private void Wait()
    {
        try
        {
            _hub.Barrier.SignalAndWait(_hub.Aborted.Token);
        }
        catch (OperationCanceledException)
        {
            throw new ProcessGroupAbortedException(_hub.AbortMessage ?? "the in-process group was aborted.");
        }
    }

    private sealed class Hub(int worldSize)
    {
        public readonly int WorldSize = worldSize;
        public readonly Barrier Barrier = new(worldSize);
        public readonly CancellationTokenSource Aborted = new();
        public readonly float[][] FloatSlots = [.. Enumerable.Range(0, worldSize).Select(_ => Array.Empty<float>())];
        public readonly int[] FloatLengths = new int[worldSize];
        public readonly byte[][] ByteSlots = [.. Enumerable.Range(0, worldSize).Select(_ => Array.Empty<byte>())];
        public string? AbortMessage;
    }
}
