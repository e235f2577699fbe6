using System.Globalization;
using Dendrite.NN;
using Dendrite.Training;

namespace Dendrite.Distributed;

/// <summary>
/// Joins a training run (the CLI's MNIST run, <c>dendrite train --distributed</c>) to a process group: the model is
/// wrapped in <see cref="DistributedDataParallel"/>, which averages gradients after every backward pass.
/// </summary>
public sealed class DataParallelTraining(ProcessGroup group, bool deterministic = false) : IDataParallel
{
    public ProcessGroup Group { get; } = group;

    /// <summary>Whether gradients are summed in rank order (see <see cref="DistributedDataParallel"/>).</summary>
    public bool Deterministic { get; } = deterministic;

    public int Rank => Group.Rank;
    public int WorldSize => Group.WorldSize;

    /// <summary>The wrapper <see cref="Attach"/> made last, for its timings; null before.</summary>
    public DistributedDataParallel? Attached { get; private set; }

    public ICallback Attach(Module model, ulong seed) =>
        Attached = new DistributedDataParallel(model, Group, Deterministic, dropoutSeed: seed);

    /// <summary>
    /// "gradient all-reduce in 2 buckets: 1.23 ms per step, 0.40 ms of it not hidden by backward, over 938 steps:
    /// 0.4 s of 60.0 s (0.7%) waiting", from the last attached wrapper and the run's <paramref name="wallTime"/>;
    /// null before a model was attached.
    /// </summary>
    public string? SynchronizationSummary(TimeSpan wallTime)
    {
        if (Attached is not { Synchronizations: > 0 } ddp) return null;
        double communication = ddp.CommunicationTime.TotalSeconds;
        double waited = ddp.SynchronizationTime.TotalSeconds;
        double wall = wallTime.TotalSeconds;
        int steps = ddp.Synchronizations;
        string collective = Deterministic ? "all-gather" : "all-reduce";
        string buckets = ddp.BucketCount == 1 ? "1 bucket" : $"{ddp.BucketCount} buckets";
        return string.Create(CultureInfo.InvariantCulture,
            $"gradient {collective} in {buckets}: {communication * 1000 / steps:0.00} ms per step, " +
            $"{waited * 1000 / steps:0.00} ms of it not hidden by backward, over {steps} steps: " +
            $"{waited:0.0} s of {wall:0.0} s ({100 * waited / wall:0.0}%) waiting");
    }

    /// <summary>
    /// What a rank says at start: "rank r/N on HOST: T threads", and a warning when the launcher left it one CPU of a
    /// larger machine (mpirun binds each rank to one core by default, so it would train single-threaded unawares).
    /// </summary>
    public static IReadOnlyList<string> StartupLines(int rank, int worldSize, string host, int threads, int visibleCpus,
        int machineCpus)
    {
        var lines = new List<string> { $"rank {rank}/{worldSize} on {host}: {threads} threads" };
        if (visibleCpus == 1 && machineCpus > 1)
            lines.Add($"warning: rank {rank} may use 1 of the {machineCpus} CPUs of {host}: the MPI launcher " +
                "bound it to one core. Pass --bind-to none (Open MPI; MPICH: -bind-to none) or " +
                "--map-by slot:PE=<cores per rank> to mpirun, or --cpus-per-task to srun.");
        return lines;
    }

    /// <summary>This process's startup lines (see the static overload): host name, kernel threads, CPUs seen.</summary>
    public IReadOnlyList<string> StartupLines() => StartupLines(Rank, WorldSize, Environment.MachineName,
        Torch.NumThreads, Environment.ProcessorCount, MachineCpus());

    // Environment.ProcessorCount honours the affinity mask the launcher set; the kernel's list of online CPUs does not.
    private static int MachineCpus()
    {
        try
        {
            var text = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
            int count = 0;
            foreach (var range in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var ends = range.Split('-').Select(e => int.Parse(e, CultureInfo.InvariantCulture)).ToArray();
                count += ends.Length == 2 ? ends[1] - ends[0] + 1 : 1;
            }
            return count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return Environment.ProcessorCount;
        }
    }
}
