using System.Runtime.InteropServices;
using System.Text;

namespace Dendrite.Distributed;

/// <summary>
/// The MPI functions Dendrite calls, found at run time in the installed MPI library and called through function
/// pointers: no native package ships with Dendrite, and one build runs against Open MPI and the MPICH family alike.
/// </summary>
/// <remarks>
/// The C standard of MPI fixes names and signatures, not the ABI of its handles, and the two families differ:
/// Open MPI's <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c> are addresses of exported globals
/// (<c>ompi_mpi_comm_world</c> …) and <c>MPI_IN_PLACE</c> is (void*)1; MPICH, Intel MPI, MVAPICH and Cray MPICH use
/// 32-bit integer constants and (void*)-1. The constants below were read from MPICH 4.0's and Open MPI 4.1's
/// <c>mpi.h</c>. Handles are passed with their own C type (pointer or int), never one as the other.
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    /// <summary>Where MPI is looked for without <c>DENDRITE_MPI_LIB</c>: Open MPI's, then MPICH's sonames.</summary>
    public static readonly string[] Candidates =
        ["libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so", "libmpich.so"];

    // Under MPICH's launcher (Hydra sets PMI_SIZE, Open MPI's sets OMPI_COMM_WORLD_SIZE) an Open MPI library found
    // first would start every rank as a world of its own: look for the MPICH family first there.
    private static readonly string[] MpichFirst =
        ["libmpich.so.12", "libmpi.so.12", "libmpi.so.40", "libmpich.so", "libmpi.so"];

    // MPICH's mpi.h: MPI_COMM_WORLD 0x44000000, MPI_BYTE 0x4c00010d, MPI_FLOAT 0x4c00040a, MPI_SUM 0x58000003.
    private const int MpichCommWorld = 0x44000000;
    private const int MpichByte = 0x4c00010d;
    private const int MpichFloat = 0x4c00040a;
    private const int MpichSum = 0x58000003;

    // Both families number the thread levels SINGLE, FUNNELED, SERIALIZED, MULTIPLE from 0: the training thread and a
    // test's threads may take turns calling MPI, never at once.
    private const int ThreadSerialized = 2;

    private readonly bool _integerHandles;
    private readonly nint _comm, _byte, _float, _sum, _inPlace;
    private readonly nint _initialized, _initThread, _finalized, _finalize, _commRank, _commSize;
    private readonly nint _allreduce, _bcast, _allgather, _barrier, _abort, _libraryVersion;

    private MpiLibrary(string name, nint handle)
    {
        Name = name;
        _initialized = Export(handle, name, "MPI_Initialized");
        _initThread = Export(handle, name, "MPI_Init_thread");
        _finalized = Export(handle, name, "MPI_Finalized");
        _finalize = Export(handle, name, "MPI_Finalize");
        _commRank = Export(handle, name, "MPI_Comm_rank");
        _commSize = Export(handle, name, "MPI_Comm_size");
        _allreduce = Export(handle, name, "MPI_Allreduce");
        _bcast = Export(handle, name, "MPI_Bcast");
        _allgather = Export(handle, name, "MPI_Allgather");
        _barrier = Export(handle, name, "MPI_Barrier");
        _abort = Export(handle, name, "MPI_Abort");
        _libraryVersion = Export(handle, name, "MPI_Get_library_version");
        if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _comm))
        {
            Flavour = "Open MPI";
            _byte = Export(handle, name, "ompi_mpi_byte");
            _float = Export(handle, name, "ompi_mpi_float");
            _sum = Export(handle, name, "ompi_mpi_op_sum");
            _inPlace = 1;
        }
        else if (NativeLibrary.TryGetExport(handle, "MPIR_Dup_fn", out _))
        {
            Flavour = "MPICH family";
            _integerHandles = true;
            (_comm, _byte, _float, _sum, _inPlace) = (MpichCommWorld, MpichByte, MpichFloat, MpichSum, -1);
        }
        else
        {
            throw new NotSupportedException($"MPI: {name} exports MPI functions but neither Open MPI's " +
                "ompi_mpi_comm_world nor MPICH's MPIR_Dup_fn; only Open MPI and the MPICH family (MPICH, Intel MPI, " +
                "MVAPICH, Cray MPICH) are supported.");
        }
    }

    /// <summary>The file name the library was loaded by.</summary>
    public string Name { get; }

    /// <summary>"Open MPI" or "MPICH family": which handle convention is in use.</summary>
    public string Flavour { get; }

    /// <summary>
    /// Loads <c>DENDRITE_MPI_LIB</c> when set, else the first of <see cref="Candidates"/> that loads.
    /// </summary>
    /// <exception cref="NotSupportedException">No MPI, or one of another family: one line says which.</exception>
    public static MpiLibrary Load()
    {
        var chosen = Environment.GetEnvironmentVariable("DENDRITE_MPI_LIB");
        bool hydra = Environment.GetEnvironmentVariable("PMI_SIZE") is not null
            && Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is null;
        string[] names = !string.IsNullOrWhiteSpace(chosen) ? [chosen] : hydra ? MpichFirst : Candidates;
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out var handle))
                return new MpiLibrary(name, handle);
        string looked = string.IsNullOrWhiteSpace(chosen) ? string.Join(", ", names) : $"DENDRITE_MPI_LIB={chosen}";
        throw new NotSupportedException($"MPI: no MPI library found (looked for {looked}); install Open MPI or MPICH " +
            "(Debian: apt-get install openmpi-bin libopenmpi-dev) or set DENDRITE_MPI_LIB to the library's path.");
    }

    /// <summary>Initialises MPI unless something in the process already did; returns whether this call did.</summary>
    public bool Initialize()
    {
        int initialized;
        Check(((delegate* unmanaged<int*, int>)_initialized)(&initialized), "MPI_Initialized");
        if (initialized != 0) return false;
        int provided;
        var initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)_initThread;
        Check(initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
            throw new NotSupportedException(
                $"MPI: {Name} offers thread level {provided}; Dendrite needs MPI_THREAD_SERIALIZED " +
                $"({ThreadSerialized}).");
        return true;
    }

    /// <summary>Finalises MPI unless it already is.</summary>
    public void Shutdown()
    {
        int finalized;
        Check(((delegate* unmanaged<int*, int>)_finalized)(&finalized), "MPI_Finalized");
        if (finalized == 0) Check(((delegate* unmanaged<int>)_finalize)(), "MPI_Finalize");
    }

    /// <summary>The library's own version line (MPI_Get_library_version), first line only.</summary>
    public string LibraryVersion()
    {
        // MPICH's MPI_MAX_LIBRARY_VERSION_STRING is 8192, Open MPI's 256: the larger fits both.
        var buffer = new byte[8192];
        int length;
        fixed (byte* p = buffer)
            Check(((delegate* unmanaged<byte*, int*, int>)_libraryVersion)(p, &length), "MPI_Get_library_version");
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).TrimEnd('\0');
        int end = text.IndexOfAny(['\n', ',']);
        char[] blanks = [' ', '\t', '\r'];
        var words = (end > 0 ? text[..end] : text).Split(blanks, StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words);
    }

    public int CommRank() => CommQuery(_commRank, "MPI_Comm_rank");

    public int CommSize() => CommQuery(_commSize, "MPI_Comm_size");

    private int CommQuery(nint function, string what)
    {
        int value;
        int rc = _integerHandles
            ? ((delegate* unmanaged<int, int*, int>)function)((int)_comm, &value)
            : ((delegate* unmanaged<nint, int*, int>)function)(_comm, &value);
        Check(rc, what);
        return value;
    }

    /// <summary>In-place sum of <paramref name="count"/> floats over the ranks.</summary>
    public void AllReduceSum(float* data, int count)
    {
        int rc = _integerHandles
            ? ((delegate* unmanaged<void*, void*, int, int, int, int, int>)_allreduce)(
                (void*)_inPlace, data, count, (int)_float, (int)_sum, (int)_comm)
            : ((delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)_allreduce)(
                (void*)_inPlace, data, count, _float, _sum, _comm);
        Check(rc, "MPI_Allreduce");
    }

    public void Broadcast(byte* data, int count, int root)
    {
        int rc = _integerHandles
            ? ((delegate* unmanaged<void*, int, int, int, int, int>)_bcast)(data, count, (int)_byte, root, (int)_comm)
            : ((delegate* unmanaged<void*, int, nint, int, nint, int>)_bcast)(data, count, _byte, root, _comm);
        Check(rc, "MPI_Bcast");
    }

    public void AllGather(byte* send, int count, byte* receive)
    {
        int rc = _integerHandles
            ? ((delegate* unmanaged<void*, int, int, void*, int, int, int, int>)_allgather)(
                send, count, (int)_byte, receive, count, (int)_byte, (int)_comm)
            : ((delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)_allgather)(
                send, count, _byte, receive, count, _byte, _comm);
        Check(rc, "MPI_Allgather");
    }

    public void Barrier()
    {
        int rc = _integerHandles
            ? ((delegate* unmanaged<int, int>)_barrier)((int)_comm)
            : ((delegate* unmanaged<nint, int>)_barrier)(_comm);
        Check(rc, "MPI_Barrier");
    }

    /// <summary>MPI_Abort on the world communicator: ends every rank of the job.</summary>
    public void Abort(int exitCode)
    {
        if (_integerHandles) ((delegate* unmanaged<int, int, int>)_abort)((int)_comm, exitCode);
        else ((delegate* unmanaged<nint, int, int>)_abort)(_comm, exitCode);
    }

    private static nint Export(nint handle, string library, string symbol) =>
        NativeLibrary.TryGetExport(handle, symbol, out var address)
            ? address
            : throw new NotSupportedException($"MPI: {library} does not export {symbol}; is it an MPI library?");

    // The default error handler (MPI_ERRORS_ARE_FATAL) ends the job before a call returns an error; this is the rest.
    private void Check(int rc, string function)
    {
        if (rc != 0) throw new InvalidOperationException($"MPI: {function} failed in {Name} with error code {rc}.");
    }
}
