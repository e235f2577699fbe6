using System.Runtime.InteropServices;

namespace Dendrite.Distributed;

/// <summary>
/// The ranks of one data-parallel job and the collectives they run together, as PyTorch's
/// <c>torch.distributed</c> process group. Every rank must call the same collectives in the same order with the same
/// sizes; a collective returns on a rank only when every rank has reached it.
/// </summary>
public abstract class ProcessGroup : IDisposable
{
    /// <summary>This process's index in [0, <see cref="WorldSize"/>); rank 0 reports and writes files.</summary>
    public abstract int Rank { get; }

    /// <summary>Number of ranks in the job.</summary>
    public abstract int WorldSize { get; }

    /// <summary>This rank's index among the ranks on the same machine (for binding and per-node work).</summary>
    public abstract int LocalRank { get; }

    /// <summary>What carries the collectives: "Open MPI v4.1.4 (…, libmpi.so.40)", "in-process, 2 ranks".</summary>
    public abstract string Description { get; }

    /// <summary>Replaces <paramref name="data"/> on every rank by its elementwise sum over the ranks.</summary>
    public void AllReduce(Span<float> data)
    {
        DrainBackground();
        AllReduceCore(data);
    }

    /// <summary>Copies rank <paramref name="root"/>'s values into <paramref name="data"/> on every rank.</summary>
    public void Broadcast(Span<byte> data, int root = 0)
    {
        CheckRoot(root);
        DrainBackground();
        BroadcastCore(data, root);
    }

    /// <summary>
    /// Concatenates every rank's <paramref name="send"/> in rank order into <paramref name="receive"/>, which holds
    /// <see cref="WorldSize"/> × send.Length bytes; every rank sends the same length.
    /// </summary>
    public void AllGather(ReadOnlySpan<byte> send, Span<byte> receive)
    {
        CheckGather(send.Length, receive.Length);
        DrainBackground();
        AllGatherCore(send, receive);
    }

    /// <summary>Returns once every rank has called it.</summary>
    public void Barrier()
    {
        DrainBackground();
        BarrierCore();
    }

    /// <summary>The collectives themselves, called on one thread at a time (MPI_THREAD_SERIALIZED).</summary>
    protected internal abstract void AllReduceCore(Span<float> data);
    protected internal abstract void BroadcastCore(Span<byte> data, int root);
    protected internal abstract void AllGatherCore(ReadOnlySpan<byte> send, Span<byte> receive);
    protected internal abstract void BarrierCore();

    /// <summary>
    /// The thread that runs this group's queued collectives (gradient buckets reduced while backward goes on), created
    /// on first use. Every rank queues the same collectives in the same order, so they meet in the same order.
    /// </summary>
    internal CollectiveQueue Background => _background ??= new CollectiveQueue(this);

    /// <summary>
    /// Waits until the queued collectives have run, so a collective called now comes after them on every rank and
    /// never runs beside one (MPI is initialised for one thread at a time).
    /// </summary>
    internal void DrainBackground() => _background?.Drain();

    private CollectiveQueue? _background;

    /// <summary>
    /// Ends the whole job because of a failure on this rank (MPI's <c>MPI_Abort</c>): the other ranks stop instead of
    /// waiting forever in their next collective. <paramref name="message"/> names the failure; it is written to stderr
    /// with this rank's number before the job ends.
    /// </summary>
    public abstract void Abort(string message, int exitCode = 1);

    /// <summary>Broadcasts float values bit for bit (see <see cref="Broadcast(Span{byte}, int)"/>).</summary>
    public void Broadcast(Span<float> data, int root = 0) => Broadcast(MemoryMarshal.AsBytes(data), root);

    /// <summary>Gathers float values bit for bit (see the byte overload).</summary>
    public void AllGather(ReadOnlySpan<float> send, Span<float> receive) =>
        AllGather(MemoryMarshal.AsBytes(send), MemoryMarshal.AsBytes(receive));

    /// <summary>Throws unless <paramref name="root"/> names a rank.</summary>
    private void CheckRoot(int root)
    {
        if (root < 0 || root >= WorldSize)
            throw new ArgumentOutOfRangeException(nameof(root),
                $"{GetType().Name}: root {root} is not a rank of a group of {WorldSize}.");
    }

    /// <summary>Throws unless <paramref name="receiveLength"/> is WorldSize × <paramref name="sendLength"/>.</summary>
    private void CheckGather(int sendLength, int receiveLength)
    {
        if ((long)sendLength * WorldSize != receiveLength)
            throw new ArgumentException($"{GetType().Name}.AllGather: receive holds {receiveLength} bytes, " +
                $"expected {WorldSize} ranks × {sendLength} = {(long)sendLength * WorldSize}.");
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => _background?.Dispose();
}
