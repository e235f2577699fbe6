using System.Diagnostics;
using System.Globalization;

namespace Dendrite.IO;

/// <summary>
/// Claims a directory for one writing process: a file <see cref="FileName"/> in it holds the holder's process id. A second
/// claim while the holder lives is refused with the directory and that pid in the message; a lock left by a process that
/// died (kill -9) is taken over. Dispose releases it.
/// </summary>
/// <remarks>
/// The file is created with <see cref="FileMode.CreateNew"/>, so of two processes claiming at once only one succeeds. A
/// pid reused by an unrelated process after a crash makes the lock look held; the message names the file to delete.
/// </remarks>
public sealed class DirectoryLock : IDisposable
{
    /// <summary>Name of the lock file inside the claimed directory.</summary>
    public const string FileName = ".dendrite.lock";

    private readonly string _path;
    private bool _released;

    private DirectoryLock(string path) => _path = path;

    /// <summary>The claimed directory.</summary>
    public string Directory => Path.GetDirectoryName(_path)!;

    /// <summary>
    /// Claims <paramref name="directory"/> (created when missing) for this process. <paramref name="what"/> names it in
    /// the message, such as "--checkpoint-dir".
    /// </summary>
    /// <exception cref="IOException">Another living process holds the directory.</exception>
    public static DirectoryLock Acquire(string directory, string what)
    {
        System.IO.Directory.CreateDirectory(directory);
        string path = Path.Combine(Path.GetFullPath(directory), FileName);
        int self = Environment.ProcessId;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                using (var writer = new StreamWriter(file))
                    writer.Write(self.ToString(CultureInfo.InvariantCulture) + "\n");
                return new DirectoryLock(path);
            }
            catch (IOException) when (File.Exists(path))
            {
                int? holder = ReadHolder(path);
                if (holder is { } pid && IsAlive(pid))
                    throw new IOException($"{what} {directory} is in use by process {pid} (lock file {path}); " +
                        "wait for it to finish, or delete the lock file if that process is not a dendrite run.");
                // The holder died (or the file is empty because it died while writing it): take the lock over.
                try { File.Delete(path); } catch (IOException) { /* another process took it over first: try again */ }
            }
        }
        throw new IOException($"{what} {directory}: could not take the lock file {path} over; another process keeps claiming it.");
    }

    private static int? ReadHolder(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;   // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Removes the lock file, if it is still this lock's.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        try
        {
            if (ReadHolder(_path) == Environment.ProcessId) File.Delete(_path);
        }
        catch (IOException)
        {
            // Releasing is best effort: a lock left behind by a live pid that exits is taken over by the next run.
        }
    }
}
