using System.Runtime.InteropServices;

namespace Dendrite.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one: write a temporary file beside it,
/// flush it to disk, rename it over the target, then flush the directory so the rename itself survives a power cut.
/// A crash or an exception midway leaves the previous file intact; an exception also removes the temporary file.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Suffix of the temporary files; readers that scan a directory skip names ending in it.</summary>
    public const string TempSuffix = ".tmp";

    // Tests wrap the stream to inject a failure midway through a real save; AsyncLocal keeps that to the test's own flow.
    internal static readonly AsyncLocal<Func<Stream, Stream>?> WrapStreamForTests = new();

    /// <summary>Calls <paramref name="write"/> with a stream whose content replaces <paramref name="path"/> atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        // Same directory, so the rename never crosses file systems (where it would be a copy, not atomic).
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + TempSuffix);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var wrap = WrapStreamForTests.Value;
                using (var stream = wrap is null ? null : wrap(file))
                    write(stream ?? file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { /* the original error matters more */ }
            throw;
        }
        FlushDirectory(dir);
    }

    /// <summary>
    /// Deletes the temporary files that writes into <paramref name="directory"/> left behind when their process was killed
    /// midway (".NAME.1a2b3c4d.tmp"), and returns their paths. Call it only while no other process writes there (hold a
    /// <see cref="DirectoryLock"/>): a live write's temporary file looks the same.
    /// </summary>
    public static IReadOnlyList<string> DeleteStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var deleted = new List<string>();
        foreach (string path in Directory.EnumerateFiles(directory, ".*" + TempSuffix))
        {
            if (!IsTemporaryName(Path.GetFileName(path))) continue;
            try
            {
                File.Delete(path);
                deleted.Add(path);
            }
            catch (IOException)
            {
                // Cleaning up is best effort; the file is harmless where it is.
            }
        }
        return deleted;
    }

    // "." + target name + "." + 8 hex digits + ".tmp", as Write names them.
    private static bool IsTemporaryName(string name)
    {
        if (name.Length < 1 + 1 + 1 + 8 + TempSuffix.Length || name[0] != '.' || !name.EndsWith(TempSuffix, StringComparison.Ordinal)) return false;
        var tag = name.AsSpan(name.Length - TempSuffix.Length - 9, 9);
        return tag[0] == '.' && tag[1..].ContainsAnyExcept("0123456789abcdef") is false;
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark), atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });

    // On POSIX systems a rename is durable only once the directory entry is flushed too; .NET has no API for that, so
    // open the directory and fsync it. Best effort: some file systems refuse, and the data itself is already on disk.
    // Returns whether the directory was flushed, for the tests.
    internal static bool FlushDirectory(string dir)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return false;
        try
        {
            int fd = Open(dir, 0 /* O_RDONLY */);
            if (fd < 0) return false;
            bool flushed = Fsync(fd) == 0;
            _ = Close(fd);
            return flushed;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // no libc under that name: skip the directory flush
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
