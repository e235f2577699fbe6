using Dendrite.IO;
using Dendrite.NN;

namespace Dendrite.Cli;

/// <summary>
/// The directories a training run writes into (--out, --checkpoint-dir), checked and claimed before the first step: each
/// is a directory or can be made one, takes a file, has room for what the run will write, and is held by a
/// <see cref="DirectoryLock"/> until the run ends, so a second run cannot write into it. Temporary files that killed
/// writes left there are removed once the lock is held.
/// </summary>
internal sealed class RunDirectories : IDisposable
{
    private readonly List<DirectoryLock> _locks = [];

    private RunDirectories() { }

    /// <summary>
    /// Checks and claims each (option, directory, bytes the run writes there) whose directory is given; says on
    /// <paramref name="output"/> what stale temporary files it removed.
    /// </summary>
    public static RunDirectories Claim(TextWriter output, params (string Option, string? Directory, long Bytes)[] targets)
    {
        var claimed = new RunDirectories();
        try
        {
            foreach (var (option, directory, bytes) in targets)
            {
                if (directory is null) continue;
                CheckWritable(option, directory, bytes);
                string full = Path.GetFullPath(directory);
                if (claimed._locks.Any(l => l.Directory == full)) continue;   // --out and --checkpoint-dir may be one directory
                claimed._locks.Add(DirectoryLock.Acquire(directory, option));
                var removed = AtomicFile.DeleteStaleTemporaries(directory);
                if (removed.Count > 0)
                    output.WriteLine($"Removed {removed.Count} temporary file{(removed.Count == 1 ? "" : "s")} of interrupted writes from {directory}");
            }
            return claimed;
        }
        catch
        {
            claimed.Dispose();
            throw;
        }
    }

    /// <summary>Bytes a safetensors file of <paramref name="model"/>'s state takes, times <paramref name="copies"/>, plus room for headers.</summary>
    public static long StateBytes(Module model, int copies = 1) =>
        copies * model.StateDict().Values.Sum(t => 4L * t.Numel) + (1 << 20);

    private static void CheckWritable(string option, string directory, long bytes)
    {
        if (File.Exists(directory)) throw new IOException($"{option} {directory} is a file, not a directory.");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option} {directory} cannot be created: {e.Message}", e);
        }
        // A probe named as AtomicFile names its temporary files, so a kill right here leaves nothing the next run keeps.
        string probe = Path.Combine(directory, ".dendrite-probe." + Guid.NewGuid().ToString("N")[..8] + AtomicFile.TempSuffix);
        try
        {
            using (var file = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None)) file.WriteByte(0);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option} {directory} is not writable: {e.Message}", e);
        }
        long free = new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;
        if (free < bytes)
            throw new IOException($"{option} {directory} has {free:N0} bytes free; this run writes about {bytes:N0} there.");
    }

    public void Dispose()
    {
        foreach (var l in _locks) l.Dispose();
        _locks.Clear();
    }
}
