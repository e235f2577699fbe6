using System.Security.Cryptography;
using System.Text;

namespace Dendrite.Distributed;

/// <summary>
/// The ranks of a job started by <c>mpirun</c>, <c>mpiexec</c> or SLURM's <c>srun</c>, talking through the MPI library
/// installed on the machine (Open MPI or the MPICH family), which is found at run time: set <c>DENDRITE_MPI_LIB</c> to
/// a path to choose one, else libmpi.so.40, libmpi.so.12, libmpich.so.12 and libmpi.so are tried in turn.
/// </summary>
/// <remarks>
/// Collectives are blocking calls, made by one thread at a time (MPI_THREAD_SERIALIZED): the caller's, or the group's
/// background thread for queued ones (gradient buckets), as Horovod does; a thread polling non-blocking ones was
/// measured 2–3× slower on this project's machines. Dispose the group to call MPI_Finalize;
/// mpirun reports a rank that exits without it as failed.
/// </remarks>
public sealed unsafe class MpiProcessGroup : ProcessGroup
{
    private readonly MpiLibrary _mpi;
    private readonly bool _initializedHere;
    private bool _disposed;

    /// <summary>Loads MPI, initialises it (unless the process already did) and joins MPI_COMM_WORLD.</summary>
    /// <exception cref="NotSupportedException">No usable MPI library; one line names what was looked for.</exception>
    public MpiProcessGroup()
    {
        _mpi = MpiLibrary.Load();
        _initializedHere = _mpi.Initialize();
        Rank = _mpi.CommRank();
        WorldSize = _mpi.CommSize();
        Description = $"{_mpi.LibraryVersion()} ({_mpi.Flavour}, {_mpi.Name})";
        CheckLauncherAgrees();
        LocalRank = ComputeLocalRank();
    }

    public override int Rank { get; }
    public override int WorldSize { get; }
    public override int LocalRank { get; }
    public override string Description { get; }

    protected internal override void AllReduceCore(Span<float> data)
    {
        fixed (float* p = data) _mpi.AllReduceSum(p, data.Length);
    }

    protected internal override void BroadcastCore(Span<byte> data, int root)
    {
        fixed (byte* p = data) _mpi.Broadcast(p, data.Length, root);
    }

    protected internal override void AllGatherCore(ReadOnlySpan<byte> send, Span<byte> receive)
    {
        fixed (byte* s = send)
        fixed (byte* r = receive)
            _mpi.AllGather(s, send.Length, r);
    }

    protected internal override void BarrierCore() => _mpi.Barrier();

    public override void Abort(string message, int exitCode = 1)
    {
        Console.Error.WriteLine($"dendrite: rank {Rank}/{WorldSize} failed, aborting the job: {message}");
        Console.Error.Flush();
        _mpi.Abort(exitCode);
        Environment.Exit(exitCode);   // MPI_Abort does not return; this is for a library that does
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        base.Dispose(disposing);   // the background thread ends before MPI does
        if (_initializedHere) _mpi.Shutdown();
    }

    // A library of the other family than the launcher's initialises every rank as a world of one: say so instead of
    // training N independent models.
    private void CheckLauncherAgrees()
    {
        var launched = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE")
            ?? Environment.GetEnvironmentVariable("PMI_SIZE");
        if (int.TryParse(launched, out int expected) && expected != WorldSize)
            throw new NotSupportedException($"MPI: the launcher started {expected} ranks but {_mpi.Name} " +
                $"({_mpi.Flavour}) sees a world of {WorldSize}: the launcher and the library belong to different MPI " +
                "installations; set DENDRITE_MPI_LIB to the launcher's library.");
    }

    // Ranks whose host names hash alike share a machine; a rank's local rank is how many of them come before it.
    private int ComputeLocalRank()
    {
        var host = SHA256.HashData(Encoding.UTF8.GetBytes(Environment.MachineName));
        var all = new byte[host.Length * WorldSize];
        AllGather(host, all);
        int local = 0;
        for (int r = 0; r < Rank; r++)
            if (all.AsSpan(r * host.Length, host.Length).SequenceEqual(host)) local++;
        return local;
    }
}
